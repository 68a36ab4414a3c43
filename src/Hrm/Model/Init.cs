using TorchSharp;
using static TorchSharp.torch;

namespace Hrm.Model;

/// <summary>Parameter initialisation as the reference (JAX/flax defaults).</summary>
public static class Init
{
    const double Lower = -2.0, Upper = 2.0;

    /// <summary>
    /// Truncated normal whose *resulting* standard deviation is <paramref name="std"/> (JAX style): the scale is widened by
    /// 1 / std(unit normal truncated to ±2) = 1 / 0.8796..., then values are drawn by inverse CDF and clipped to ±2 scales.
    /// PyTorch's trunc_normal_ omits that correction, so its std is about 12% low.
    /// </summary>
    public static Tensor TruncNormal_(Tensor tensor, double std, Generator? generator = null)
    {
        using var _ = no_grad();
        if (std == 0) return tensor.zero_();
        double sqrt2 = Math.Sqrt(2);
        double a = Erf(Lower / sqrt2), b = Erf(Upper / sqrt2), z = (b - a) / 2;
        double c = 1.0 / Math.Sqrt(2 * Math.PI);
        double pdfU = c * Math.Exp(-0.5 * Lower * Lower), pdfL = c * Math.Exp(-0.5 * Upper * Upper);
        double compStd = std / Math.Sqrt(1 - (Upper * pdfU - Lower * pdfL) / z - Math.Pow((pdfU - pdfL) / z, 2));
        tensor.uniform_(a, b, generator);
        tensor.erfinv_();
        tensor.mul_(sqrt2 * compStd);
        tensor.clamp_(Lower * compStd, Upper * compStd);
        return tensor;
    }

    /// <summary>Error function (double precision; Abramowitz-Stegun is too coarse, so use a series/continued fraction).</summary>
    public static double Erf(double x)
    {
        // erf via the complementary error function's continued fraction for |x| > 2.5, Taylor series otherwise:
        // accurate to ~1e-15, enough to match math.erf at the few points we need.
        double ax = Math.Abs(x);
        double r;
        if (ax < 2.5)
        {
            double sum = 0, term = ax, n = 0;
            while (Math.Abs(term) > 1e-17 * Math.Abs(sum) || n < 3)
            {
                sum += term / (2 * n + 1);
                n++;
                term *= -ax * ax / n;
                if (n > 200) break;
            }
            r = 2 / Math.Sqrt(Math.PI) * sum;
        }
        else
        {
            double f = 0;
            for (int k = 60; k >= 1; k--) f = k / 2.0 / (ax + f);
            r = 1 - Math.Exp(-ax * ax) / Math.Sqrt(Math.PI) / (ax + f);
        }
        return x < 0 ? -r : r;
    }
}

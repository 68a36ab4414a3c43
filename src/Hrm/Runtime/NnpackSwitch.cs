using System.Runtime.InteropServices;

namespace Hrm.Runtime;

/// <summary>
/// Turns libtorch's NNPACK convolution backend off before the first convolution, so that a convolution on a CPU where
/// NNPACK cannot start does not print "Could not initialize NNPACK! Reason: Unsupported hardware." on every call.
/// <para>
/// libtorch asks <c>at::_nnpack_available()</c> on every conv2d unless the user switched NNPACK off
/// (<c>torch.backends.nnpack.enabled = False</c> in PyTorch), and where NNPACK's initialisation fails (some virtual
/// machines, CPUs without AVX2) each call warns again: an 11x11 maze printed about 300 lines per solve and a served
/// maze model thousands per minute. TorchSharp 0.107 has no binding for the switch, so this calls libtorch's exported
/// <c>at::Context::setUserEnabledNNPACK(false)</c> on <c>at::globalContext()</c> (Itanium C++ names: Linux and macOS).
/// Where NNPACK cannot start, nothing changes but the silence (it was never used); where it can, libtorch takes its
/// next convolution backend (oneDNN or its own kernels), as PyTorch does after <c>torch.backends.nnpack.enabled = False</c>.
/// Set HRM_KEEP_NNPACK=1 to leave the switch alone.
/// </para>
/// </summary>
public static class NnpackSwitch
{
    static int _state;   // 0 not tried, 1 switched off, 2 left alone or unavailable

    [DllImport("libtorch_cpu", EntryPoint = "_ZN2at13globalContextEv")]
    static extern IntPtr GlobalContext();

    [DllImport("libtorch_cpu", EntryPoint = "_ZN2at7Context20setUserEnabledNNPACKEb")]
    static extern void SetUserEnabledNnpack(IntPtr context, [MarshalAs(UnmanagedType.I1)] bool enabled);

    /// <summary>Switches NNPACK off once per process (after libtorch is loaded); returns whether it did.</summary>
    public static bool Disable()
    {
        if (Volatile.Read(ref _state) != 0) return _state == 1;
        bool done = false;
        if ((OperatingSystem.IsLinux() || OperatingSystem.IsMacOS()) && Environment.GetEnvironmentVariable("HRM_KEEP_NNPACK") != "1")
        {
            try
            {
                var context = GlobalContext();
                if (context != IntPtr.Zero) { SetUserEnabledNnpack(context, false); done = true; }
            }
            catch (DllNotFoundException) { }          // another libtorch layout (a CUDA build names the same library)
            catch (EntryPointNotFoundException) { }   // another libtorch version
        }
        Interlocked.Exchange(ref _state, done ? 1 : 2);
        return done;
    }
}

namespace Hrm;

/// <summary>
/// An error caused by the user's input (a malformed file, a bad option, a wrong shape). The CLI prints
/// its message as one line and exits non-zero; library callers can catch it to tell input errors from bugs.
/// </summary>
public class HrmException : Exception
{
    public HrmException(string message) : base(message) { }
    public HrmException(string message, Exception inner) : base(message, inner) { }
}

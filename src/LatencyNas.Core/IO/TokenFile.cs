namespace LatencyNas.Core.IO;

/// <summary>A bearer token kept in a file (the agent's and the workbench's <c>--token-file</c>).</summary>
public static class TokenFile
{
    /// <exception cref="InvalidInputException">The file cannot be read, or holds only white space.</exception>
    public static string Read(string path)
    {
        string token;
        try
        {
            token = File.ReadAllText(path).Trim();
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            throw new InvalidInputException($"Cannot read token file '{path}': {error.Message}");
        }
        return token.Length > 0 ? token : throw new InvalidInputException($"The token file '{path}' is empty.");
    }
}

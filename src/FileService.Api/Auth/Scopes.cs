namespace FileService.Api.Auth;

/// <summary>What an API key may do. <see cref="Admin"/> implies every other scope.</summary>
public static class Scopes
{
    public const string FilesRead = "files:read";
    public const string FilesWrite = "files:write";
    public const string FilesDelete = "files:delete";
    public const string Admin = "admin";

    public static readonly IReadOnlySet<string> All = new HashSet<string> { FilesRead, FilesWrite, FilesDelete, Admin };
}

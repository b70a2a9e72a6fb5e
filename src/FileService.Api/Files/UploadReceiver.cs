using System.Security.Claims;
using System.Text.RegularExpressions;
using FileService.Api.Hosting;
using FileService.Api.Metadata;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;

namespace FileService.Api.Files;

/// <summary>
/// Turns an upload request into <see cref="UploadFields"/> and a body stream, streaming: a multipart form is read
/// part by part with <see cref="MultipartReader"/> (never IFormFile, which spools to disk), a raw body is passed on as is.
/// </summary>
internal static partial class UploadReceiver
{
    private const int MaxFieldLength = 8 * 1024;
    private const int MaxFieldsBeforeFile = 64;

    public static Task<FileRecord> ReceiveAsync(HttpRequest request, ClaimsPrincipal caller, FileWriter writer, CancellationToken cancellationToken) =>
        MediaTypeHeaderValue.TryParse(request.ContentType, out var type) && type.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase)
            ? ReceiveMultipartAsync(request, type, caller, writer, cancellationToken)
            : ReceiveRawAsync(request, caller, writer, cancellationToken);

    private static Task<FileRecord> ReceiveRawAsync(HttpRequest request, ClaimsPrincipal caller, FileWriter writer, CancellationToken cancellationToken)
    {
        var query = request.Query;
        ContentDispositionHeaderValue.TryParse(request.Headers.ContentDisposition.ToString(), out var disposition);
        var fields = new UploadFields
        {
            Profile = query["profile"],
            Name = query["name"].FirstOrDefault() ?? FileNameOf(disposition),
            Owner = query["owner"],
            ContentType = string.IsNullOrEmpty(request.ContentType) ? "application/octet-stream" : request.ContentType,
            Metadata = query.Where(q => MetadataField().IsMatch(q.Key))
                .ToDictionary(q => MetadataField().Match(q.Key).Groups[1].Value, q => q.Value.ToString(), StringComparer.Ordinal),
            DeclaredLength = request.ContentLength,
        };
        var body = new ClientBodyStream(request.Body, ApiProblem.InvalidRequest, request.HttpContext.RequestAborted);
        return writer.WriteAsync(caller, fields, body, afterWrite: null, cancellationToken);
    }

    private static async Task<FileRecord> ReceiveMultipartAsync(HttpRequest request, MediaTypeHeaderValue type, ClaimsPrincipal caller,
        FileWriter writer, CancellationToken cancellationToken)
    {
        var boundary = HeaderUtilities.RemoveQuotes(type.Boundary).Value;
        if (string.IsNullOrWhiteSpace(boundary) || boundary.Length > 70)
            throw new ApiException(ApiProblem.MalformedMultipart.WithDetail("The Content-Type has no valid boundary parameter."));
        var aborted = request.HttpContext.RequestAborted;
        var reader = new MultipartReader(boundary, new ClientBodyStream(request.Body, ApiProblem.MalformedMultipart, aborted))
        {
            HeadersLengthLimit = 16 * 1024,
            HeadersCountLimit = 16,
        };

        string? profile = null, name = null, owner = null, typeField = null, filenameField = null;
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var count = 0; await NextSectionAsync(reader, aborted, cancellationToken) is { } section; count++)
        {
            if (count >= MaxFieldsBeforeFile) throw new ApiException(ApiProblem.MalformedMultipart.WithDetail("Too many form fields."));
            if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition) ||
                !disposition.DispositionType.Equals("form-data", StringComparison.OrdinalIgnoreCase))
                throw new ApiException(ApiProblem.MalformedMultipart.WithDetail("Every part needs 'Content-Disposition: form-data; name=...'."));

            var fieldName = HeaderUtilities.RemoveQuotes(disposition.Name).Value ?? "";
            if (fieldName == "file" || disposition.IsFileDisposition())
            {
                if (fieldName != "file")
                    throw new ApiException(ApiProblem.MissingFilePart.WithDetail($"The file part must be named 'file' (it is '{fieldName}')."));
                var fields = new UploadFields
                {
                    Profile = profile, Name = name ?? FileNameOf(disposition) ?? filenameField, Owner = owner, Metadata = metadata,
                    ContentType = !string.IsNullOrEmpty(section.ContentType) ? section.ContentType
                        : !string.IsNullOrEmpty(typeField) ? typeField : "application/octet-stream",
                };
                // The section stream throws plain IOExceptions on a truncated body: they are the client's fault too.
                var body = new ClientBodyStream(section.Body, ApiProblem.MalformedMultipart, aborted);
                return await writer.WriteAsync(caller, fields, body, () => RefuseTrailingPartsAsync(reader, aborted, cancellationToken), cancellationToken);
            }

            var value = await ReadFieldAsync(new ClientBodyStream(section.Body, ApiProblem.MalformedMultipart, aborted), fieldName, cancellationToken);
            switch (fieldName)
            {
                case "profile": profile = value; break;
                case "name": name = value; break;
                case "owner": owner = value; break;
                // Sent by default by browser upload libraries (Uppy's XHRUpload, Dropzone): refusing them would make every
                // such page fail, and each has an honest use.
                case "type": typeField = value; break;
                case "filename": filenameField = value; break;
                case "relativePath": break;
                default:
                    var match = MetadataField().Match(fieldName);
                    if (!match.Success)
                        throw new ApiException(ApiProblem.ValidationFailed.WithDetail(
                            $"Unknown form field '{fieldName}'. Fields: profile, name, owner, metadata[<key>], type, filename, relativePath, then the file part."));
                    metadata[match.Groups[1].Value] = value;
                    break;
            }
        }
        throw new ApiException(ApiProblem.MissingFilePart);
    }

    /// <summary>The file part must be the last part: fields after it would arrive after the file was stored.</summary>
    private static async Task RefuseTrailingPartsAsync(MultipartReader reader, CancellationToken aborted, CancellationToken cancellationToken)
    {
        if (await NextSectionAsync(reader, aborted, cancellationToken) is not { } extra) return;
        ContentDispositionHeaderValue.TryParse(extra.ContentDisposition, out var disposition);
        throw new ApiException(disposition is not null && (disposition.IsFileDisposition() || HeaderUtilities.RemoveQuotes(disposition.Name).Value == "file")
            ? ApiProblem.MultipleFileParts
            : ApiProblem.MalformedMultipart.WithDetail("Form fields must come before the file part: the file is stored as it streams in, as with S3 POST uploads."));
    }

    /// <summary>The next part; a body that ends or breaks before its closing boundary is malformed, not a server error.</summary>
    private static async Task<MultipartSection?> NextSectionAsync(MultipartReader reader, CancellationToken aborted, CancellationToken cancellationToken)
    {
        try
        {
            return await reader.ReadNextSectionAsync(cancellationToken);
        }
        catch (Exception e) when (e is IOException or InvalidDataException && !aborted.IsCancellationRequested)
        {
            throw new ApiException(ApiProblem.MalformedMultipart.WithDetail(e.Message));
        }
    }

    private static async Task<string> ReadFieldAsync(Stream field, string fieldName, CancellationToken cancellationToken)
    {
        var buffer = new char[MaxFieldLength + 1];
        using var reader = new StreamReader(field, System.Text.Encoding.UTF8);
        var length = await reader.ReadBlockAsync(buffer, cancellationToken);
        if (length > MaxFieldLength)
            throw new ApiException(ApiProblem.ValidationFailed.WithDetail($"Form field '{fieldName}' is longer than {MaxFieldLength} characters."));
        return new string(buffer, 0, length);
    }

    private static string? FileNameOf(ContentDispositionHeaderValue? disposition) =>
        disposition is null ? null
        : disposition.FileNameStar.HasValue ? disposition.FileNameStar.Value
        : HeaderUtilities.RemoveQuotes(disposition.FileName).Value;

    [GeneratedRegex(@"^metadata\[([^\]]*)\]$")]
    private static partial Regex MetadataField();
}

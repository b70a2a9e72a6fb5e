using FileService.Storage;
using Microsoft.Net.Http.Headers;

namespace FileService.Api.Files;

/// <summary>The outcome of reading a <c>Range</c> header against a file of known length.</summary>
public enum RangeOutcome { Whole, Partial, Unsatisfiable }

/// <summary>Single byte ranges per RFC 9110 §14; multiple ranges are answered with the whole file, as the RFC allows.</summary>
public static class ByteRangeHeader
{
    public static (RangeOutcome Outcome, ByteRange Range) Resolve(string? header, long length)
    {
        if (string.IsNullOrWhiteSpace(header) || !RangeHeaderValue.TryParse(header, out var parsed) ||
            !"bytes".Equals(parsed.Unit.Value, StringComparison.OrdinalIgnoreCase) || parsed.Ranges.Count != 1)
            return (RangeOutcome.Whole, default);

        var item = parsed.Ranges.Single();
        long from, to;
        if (item.From is null)
        {
            // Suffix range "-n": the last n bytes.
            if (item.To is not > 0 || length == 0) return (RangeOutcome.Unsatisfiable, default);
            from = Math.Max(0, length - item.To.Value);
            to = length - 1;
        }
        else
        {
            from = item.From.Value;
            to = Math.Min(item.To ?? length - 1, length - 1);
            if (from >= length || item.To < from) return (RangeOutcome.Unsatisfiable, default);
        }
        return (RangeOutcome.Partial, new ByteRange(from, to - from + 1));
    }
}

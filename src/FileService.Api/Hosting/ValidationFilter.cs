using FluentValidation;

namespace FileService.Api.Hosting;

internal static class ValidationFilter
{
    /// <summary>
    /// Validates every handler argument that has a FluentValidation validator and answers 400 with the failures
    /// (RFC 9457 validation problem details) before the handler runs.
    /// </summary>
    public static RouteGroupBuilder AddValidationFilter(this RouteGroupBuilder group)
    {
        group.AddEndpointFilter(async (context, next) =>
        {
            foreach (var argument in context.Arguments)
            {
                if (argument is null) continue;
                var validatorType = typeof(IValidator<>).MakeGenericType(argument.GetType());
                if (context.HttpContext.RequestServices.GetService(validatorType) is not IValidator validator) continue;
                var result = await validator.ValidateAsync(new ValidationContext<object>(argument), context.HttpContext.RequestAborted);
                if (result.IsValid) continue;
                var problem = ApiProblem.ValidationFailed.WithDetail(string.Join(" ", result.Errors.Select(e => e.ErrorMessage)));
                return TypedResults.ValidationProblem(
                    result.ToDictionary(), problem.Detail, type: ApiProblem.TypePrefix + problem.Code, title: problem.Title,
                    extensions: new Dictionary<string, object?> { ["code"] = problem.Code });
            }
            return await next(context);
        });
        return group.ProducesValidationProblem();
    }
}

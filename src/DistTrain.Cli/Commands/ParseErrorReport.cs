using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace DistTrain.Cli.Commands;

/// <summary>
/// System.CommandLine's parse errors as a person needs them: one line per mistake, values
/// described in words ("is not a number", not a .NET type name), and a "did you mean" for a
/// misspelt command or option.
/// </summary>
public static class ParseErrorReport
{
    public static IReadOnlyList<string> Lines(ParseResult parse)
    {
        var command = parse.CommandResult.Command;
        var unmatched = parse.UnmatchedTokens;
        if (command is RootCommand root)
        {
            // No command recognised: one line about that, not one per leftover token as well.
            return [UnknownCommand(root, unmatched.FirstOrDefault(t => !t.StartsWith('-')) ?? unmatched.FirstOrDefault())];
        }

        var lines = new List<string>();
        var afterUnknownOption = false;
        foreach (var token in unmatched)
        {
            if (token.StartsWith('-'))
            {
                lines.Add(UnknownOption(command, token));
                afterUnknownOption = true;
            }
            else if (SwitchBefore(parse, token) is { } flag)
            {
                // A switch takes only true or false; anything else after it is left over.
                lines.Add($"{flag}: '{token}' is not true or false, e.g. {flag} false");
            }
            else if (!afterUnknownOption)
            {
                lines.Add($"'{token}' is not an option or value of '{CommandPath(parse)}'; options start with --");
            }
        }
        foreach (var error in parse.Errors)
        {
            if (unmatched.Any(t => error.Message.Contains($"'{t}'", StringComparison.Ordinal)))
            {
                continue; // reported above
            }
            lines.Add(Describe(error));
        }
        return [.. lines.Distinct()];
    }

    private static string UnknownCommand(RootCommand root, string? token)
    {
        var names = root.Subcommands.Select(c => c.Name).ToList();
        var choices = string.Join(", ", names);
        if (token is null)
        {
            return $"no command given; choose one of: {choices}";
        }
        if (token.StartsWith('-'))
        {
            return $"unknown option '{token}'; give a command first, one of: {choices}";
        }
        return Suggestions.Closest(token, names) is { } suggestion
            ? $"unknown command '{token}'; did you mean '{suggestion}'?"
            : $"unknown command '{token}'; the commands are: {choices}";
    }

    private static string UnknownOption(Command command, string token)
    {
        var name = token.Split('=', ':')[0];
        var known = command.Options.SelectMany(o => o.Aliases.Prepend(o.Name)).Where(n => n.StartsWith("--", StringComparison.Ordinal));
        return Suggestions.Closest(name, known) is { } suggestion
            ? $"unknown option '{name}' for '{command.Name}'; did you mean '{suggestion}'?"
            : $"unknown option '{name}' for '{command.Name}'; 'disttrain {command.Name} --help' lists the options";
    }

    /// <summary>A value that does not convert, described by what was expected; other errors as they are.</summary>
    private static string Describe(ParseError error)
    {
        var optionResult = error.SymbolResult switch
        {
            OptionResult o => o,
            ArgumentResult { Parent: OptionResult o } => o,
            _ => null,
        };
        if (optionResult is null)
        {
            return error.Message;
        }
        var option = optionResult.Option;
        var expected = Expected(option.ValueType);
        if (expected is null)
        {
            return error.Message;
        }
        var example = Example(option);
        if (optionResult.Tokens.Count == 0)
        {
            return $"{option.Name}: give {expected}{example}";
        }
        var bad = optionResult.Tokens.Select(t => t.Value).FirstOrDefault(v => !Parses(option.ValueType, v));
        return bad is null ? error.Message : $"{option.Name}: '{bad}' is not {expected}{example}";
    }

    private static string? Expected(Type type) => (Nullable.GetUnderlyingType(type) ?? type) switch
    {
        var t when t == typeof(int) || t == typeof(long) => "a whole number",
        var t when t == typeof(float) || t == typeof(double) => "a number",
        var t when t == typeof(bool) => "true or false",
        _ => null,
    };

    private static bool Parses(Type type, string value) => (Nullable.GetUnderlyingType(type) ?? type) switch
    {
        var t when t == typeof(int) => int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out _),
        var t when t == typeof(long) => long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out _),
        var t when t == typeof(float) => float.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out _),
        var t when t == typeof(double) => double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out _),
        var t when t == typeof(bool) => bool.TryParse(value, out _),
        _ => true,
    };

    private static string Example(Option option) =>
        option.HasDefaultValue && option.GetDefaultValue() is { } value and not bool
            ? string.Create(CultureInfo.InvariantCulture, $", e.g. {option.Name} {value}")
            : "";

    /// <summary>The on/off option right before <paramref name="token"/> on the command line, if any.</summary>
    private static string? SwitchBefore(ParseResult parse, string token)
    {
        var tokens = parse.Tokens;
        for (var i = 1; i < tokens.Count; i++)
        {
            if (tokens[i].Value != token || tokens[i - 1].Type != TokenType.Option)
            {
                continue;
            }
            var option = parse.CommandResult.Command.Options.FirstOrDefault(o => o.Name == tokens[i - 1].Value || o.Aliases.Contains(tokens[i - 1].Value));
            if (option is not null && (Nullable.GetUnderlyingType(option.ValueType) ?? option.ValueType) == typeof(bool))
            {
                return option.Name;
            }
        }
        return null;
    }

    private static string CommandPath(ParseResult parse) => "disttrain " + parse.CommandResult.Command.Name;
}

package org.attn4j.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Minimal GNU-style options: {@code --name value}, {@code --name=value}, boolean {@code --flag}, and
 * positional arguments. Unknown options are errors that list the known ones.
 */
final class Args {
    private final String command;
    private final Map<String, String> options = new LinkedHashMap<>();
    private final List<String> positional = new ArrayList<>();

    /** Thrown for a command line that cannot be run; the message is shown to the user as is. */
    static final class UsageException extends RuntimeException {
        UsageException(String message) {
            super(message);
        }
    }

    Args(String command, String[] argv, int from, Set<String> valued, Set<String> flags) {
        this.command = command;
        for (int i = from; i < argv.length; i++) {
            String a = argv[i];
            if (a.startsWith("--")) {
                String name = a.substring(2), value = null;
                int eq = name.indexOf('=');
                if (eq >= 0) {
                    value = name.substring(eq + 1);
                    name = name.substring(0, eq);
                }
                if (flags.contains(name)) {
                    if (value != null) throw new UsageException(command + ": --" + name + " takes no value");
                    options.put(name, "true");
                } else if (valued.contains(name)) {
                    if (value == null) {
                        if (i + 1 >= argv.length) throw new UsageException(command + ": --" + name + " needs a value");
                        value = argv[++i];
                    }
                    options.put(name, value);
                } else {
                    List<String> known = new ArrayList<>();
                    valued.forEach(v -> known.add("--" + v));
                    flags.forEach(v -> known.add("--" + v));
                    throw new UsageException(command + ": unknown option --" + name + " (known: " + String.join(", ", known) + ")");
                }
            } else {
                positional.add(a);
            }
        }
    }

    boolean has(String name) {
        return options.containsKey(name);
    }

    String get(String name, String def) {
        return options.getOrDefault(name, def);
    }

    int getInt(String name, int def, int min) {
        String v = options.get(name);
        if (v == null) return def;
        int n;
        try {
            n = Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new UsageException(command + ": --" + name + " must be a whole number, got '" + v + "'");
        }
        if (n < min) throw new UsageException(command + ": --" + name + " must be at least " + min + ", got " + n);
        return n;
    }

    long getLong(String name, long def) {
        String v = options.get(name);
        if (v == null) return def;
        try {
            return Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw new UsageException(command + ": --" + name + " must be a whole number, got '" + v + "'");
        }
    }

    double getDouble(String name, double def, double min, double max) {
        String v = options.get(name);
        if (v == null) return def;
        double d;
        try {
            d = Double.parseDouble(v);
        } catch (NumberFormatException e) {
            throw new UsageException(command + ": --" + name + " must be a number, got '" + v + "'");
        }
        if (!(d >= min && d <= max)) {
            throw new UsageException(command + ": --" + name + " must be in [" + min + ", " + max + "], got " + v);
        }
        return d;
    }

    List<String> positional() {
        return positional;
    }
}

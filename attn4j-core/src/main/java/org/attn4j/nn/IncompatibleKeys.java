package org.attn4j.nn;

import java.util.List;

/**
 * What {@link Module#loadStateDict} could not match, as PyTorch's {@code _IncompatibleKeys}: keys the model
 * expects but the state dict lacks, and keys of the state dict the model does not have.
 */
public record IncompatibleKeys(List<String> missingKeys, List<String> unexpectedKeys) {
    public IncompatibleKeys {
        missingKeys = List.copyOf(missingKeys);
        unexpectedKeys = List.copyOf(unexpectedKeys);
    }

    /** True when every key matched. */
    public boolean isEmpty() {
        return missingKeys.isEmpty() && unexpectedKeys.isEmpty();
    }

    @Override
    public String toString() {
        return isEmpty() ? "<All keys matched successfully>"
                : "IncompatibleKeys(missing_keys=" + missingKeys + ", unexpected_keys=" + unexpectedKeys + ")";
    }
}

package org.attn4j.io;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;

/**
 * libtorch through DJL for the io tests (test scope only, offline; see shared/ORACLE.md): one root
 * manager per test JVM, never closed (closing the engine's base manager aborts libtorch at exit), and
 * a sub-manager per use so native memory is freed when the test ends.
 */
final class TorchScope {
    private TorchScope() {}

    private static NDManager root;

    /** A fresh sub-manager of the process-wide PyTorch manager; close it with try-with-resources. */
    static synchronized NDManager open() {
        if (root == null) root = NDManager.newBaseManager(Device.cpu(), "PyTorch");
        return root.newSubManager();
    }
}

package org.attn4j.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ModuleListTest {
    static final class Stack extends Module {
        final ModuleList<Linear> blocks;

        Stack() {
            blocks = registerModule("blocks", new ModuleList<Linear>());
            for (int i = 0; i < 3; i++) blocks.add(new Linear(2, 2));
        }
    }

    @Test
    void childrenAreIndexedAndTyped() {
        Stack s = new Stack();
        assertEquals(List.of("blocks.0.weight", "blocks.0.bias", "blocks.1.weight", "blocks.1.bias", "blocks.2.weight",
                "blocks.2.bias"), List.copyOf(s.stateDict().keySet()));
        List<Linear> seen = new ArrayList<>();
        for (Linear l : s.blocks) seen.add(l);
        assertEquals(3, seen.size());
        assertSame(seen.get(1), s.blocks.get(1));
        assertThrows(IndexOutOfBoundsException.class, () -> s.blocks.get(3));
        assertThrows(IllegalArgumentException.class, () -> s.blocks.add(null));
    }

    @Test
    void reprFoldsRepeatsAsPyTorch() {
        // print(nn.ModuleList([nn.Linear(2, 2) for _ in range(3)] + [nn.ReLU()]))
        ModuleList<Module> list = new ModuleList<>(new Linear(2, 2), new Linear(2, 2), new Linear(2, 2), new ReLU());
        assertEquals("""
                ModuleList(
                  (0-2): 3 x Linear(in_features=2, out_features=2, bias=True)
                  (3): ReLU()
                )""", list.toString());
        // Multi-line children are indented inside the folded entry (PyTorch's _addindent on "(0-1): 2 x ...").
        ModuleList<Sequential> seqs = new ModuleList<>(new Sequential(new Linear(2, 2), new ReLU()),
                new Sequential(new Linear(2, 2), new ReLU()));
        assertEquals("""
                ModuleList(
                  (0-1): 2 x Sequential(
                    (0): Linear(in_features=2, out_features=2, bias=True)
                    (1): ReLU()
                  )
                )""", seqs.toString());
        assertEquals("ModuleList()", new ModuleList<Module>().toString());
    }
}

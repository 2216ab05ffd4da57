package org.attn4j.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@link JitReport} on log excerpts in HotSpot's LogCompilation format (ids are per task, as HotSpot writes them). */
class JitReportTest {
    /** A C2 compilation of GemmVector.macro whose call to store (three FloatVectors) hit the node budget. */
    private static final String C2_MACRO = """
            <task compile_id='980' compile_kind='osr' method='org.attn4j.kernels.GemmVector macro (Z[FIIFF[FIIIIIIIIIII[F)V' bytes='377' count='184' stamp='1.833'>
            <type id='1212' name='void'/>
            <type id='1205' name='int'/>
            <type id='1206' name='float'/>
            <klass id='1372' name='[F' flags='1041'/>
            <klass id='1380' name='org.attn4j.kernels.GemmVector' flags='16'/>
            <klass id='1390' name='jdk.incubator.vector.FloatVector' flags='1025'/>
            <method id='1406' holder='1380' name='store' return='1212' arguments='1390 1390 1390 1372 1205 1206 1206' flags='10' bytes='90' iicount='1971'/>
            <call method='1406' count='1971' prof_factor='1.000000' inline='1'/>
            <inline_fail reason='NodeCountInliningCutoff'/>
            <method id='1407' holder='1380' name='packA' return='1212' arguments='1372 1205' flags='10' bytes='621' iicount='8'/>
            <call method='1407' count='8' prof_factor='1.000000' inline='1'/>
            <inline_fail reason='hot method too big'/>
            </task>
            """;

    /** The same call failing in a C1 compilation (level 3): C1 code is replaced by C2's, so it is not reported. */
    private static final String C1_MACRO = C2_MACRO.replace("compile_kind='osr' ", "").replace("count='184'", "count='184' level='3'");

    @Test
    void reportsAVectorTakingCallThatC2DidNotInline() {
        Map<String, Integer> found = JitReport.boxedCalls(C2_MACRO + C2_MACRO);
        assertEquals(Map.of("org.attn4j.kernels.GemmVector.macro -> GemmVector.store: NodeCountInliningCutoff", 2), found);
    }

    @Test
    void ignoresC1CompilationsAndCallsWithoutVectors() {
        assertEquals(Map.of(), JitReport.boxedCalls(C1_MACRO));
        assertEquals(Map.of(), JitReport.boxedCalls(C2_MACRO.replace("arguments='1390 1390 1390 1372", "arguments='1372 1372 1372 1372")));
    }
}

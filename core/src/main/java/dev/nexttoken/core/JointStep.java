package dev.nexttoken.core;

import dev.nexttoken.core.model.Gpt2Model;
import dev.nexttoken.core.model.KvCache;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.ArrayList;
import java.util.List;

/**
 * One step of several generation runs together (continuous batching): each unfinished run gets
 * one token. A run that must run the model alone (its prompt's prefill, at batch 1 as
 * {@link Generator#generate} runs it, or the window re-run from position 0 once its cache is
 * full) does so; all the others decode in one joint model call
 * ({@link Gpt2Model#forwardTogether}), whose logits for each are bit for bit those of a decode
 * alone. Each run then chooses with its own pipeline, random stream, listener and stop
 * conditions, so it produces exactly what it would produce alone.
 */
final class JointStep {

    private JointStep() {
    }

    /**
     * Advances every run of {@code runs} that has not ended by one token; runs already ended are
     * skipped. A failure ends only the runs it concerns ({@link GenerationRun#fail}): a run's own
     * prefill or choice fails that run alone, the joint model call every run in it; the others
     * carry on, so one request's bad processor cannot break the requests decoded with it.
     */
    static void run(Gpt2Model model, List<GenerationRun> runs) {
        List<GenerationRun> joint = new ArrayList<>(runs.size());
        for (GenerationRun run : runs) {
            if (run.isDone() || run.endIfCancelled()) {
                continue;
            }
            if (run.needsOwnPass()) {
                try {
                    run.stepAlone();
                } catch (RuntimeException e) {
                    run.fail(e);
                }
            } else {
                joint.add(run);
            }
        }
        if (joint.isEmpty()) {
            return;
        }
        long start = System.nanoTime();
        int[][] ids = new int[joint.size()][];                          // [runs][samples_i]
        KvCache[] caches = new KvCache[joint.size()];
        for (int i = 0; i < joint.size(); i++) {
            ids[i] = joint.get(i).nextTokens();
            caches[i] = joint.get(i).cache();
        }
        INDArray[] logits;
        try {
            logits = model.forwardTogether(ids, caches);                 // per run [samples_i, V]
        } catch (RuntimeException e) {
            joint.forEach(run -> run.fail(e));
            return;
        }
        for (int i = 0; i < joint.size(); i++) {
            try {
                joint.get(i).chooseAndAccept(logits[i], false, start);
            } catch (RuntimeException e) {
                joint.get(i).fail(e);
            }
        }
    }
}

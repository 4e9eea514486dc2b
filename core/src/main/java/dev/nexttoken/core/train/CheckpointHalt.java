package dev.nexttoken.core.train;

/**
 * A hook for crash tests: with {@code -Dnexttoken.checkpoint.haltAt=STEP:STAGE}, the writer of
 * the checkpoint of step {@code STEP} prints {@code checkpoint halt: STEP STAGE} on standard
 * error when it reaches {@code STAGE} and then waits until it is killed, so that a test can kill
 * it at a known point of the write. Without the property it does nothing.
 *
 * <p>The stages, in order: each file once written ({@code config.json},
 * {@code model.safetensors}, {@code optimizer.safetensors}, {@code state.json},
 * {@code manifest.json}), then {@code renamed} (the folder has its final name),
 * {@code switched} ({@code training/latest} names it), {@code published} (the model is at the
 * top of the model folder) and {@code cleaned} (older checkpoints deleted).
 */
final class CheckpointHalt {

    /** The system property naming the step and stage to halt at. */
    static final String PROPERTY = "nexttoken.checkpoint.haltAt";

    private CheckpointHalt() {
    }

    /**
     * Halts here if the property names this step and stage.
     *
     * @param step  the checkpoint's step
     * @param stage the stage just completed
     */
    static void reached(long step, String stage) {
        String at = System.getProperty(PROPERTY);
        if (at == null || !at.equals(step + ":" + stage)) {
            return;
        }
        System.err.println("checkpoint halt: " + step + " " + stage);
        System.err.flush();
        try {
            Thread.sleep(Long.MAX_VALUE);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}

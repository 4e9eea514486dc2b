package dev.nexttoken.core.model;

import org.bytedeco.javacpp.BooleanPointer;
import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.PointerScope;

/**
 * The scope of one forward step of {@link Nd4jForwardPass}: when it closes, it frees the small
 * native arrays that Nd4j allocates through javacpp for every operation and view it runs (the
 * shape and strides of each new array or view, an operation's integer, float and boolean
 * arguments, its dimensions and row indexes). Left alone they wait for javacpp's
 * garbage-collector hook, which in practice (with G1 and with the serial collector) frees them at
 * full collections and not at the ordinary young ones, so the native memory of a long-running
 * generator kept climbing between full collections (docs/RELIABILITY.md has the measurements).
 *
 * <p>Why freeing them is safe: a javacpp {@link PointerScope} belongs to one thread, and this one
 * takes only the four pointer classes of those temporaries. Nd4j allocates the memory of its
 * arrays natively, not through javacpp, except for arrays made from Java arrays; the forward pass
 * makes one, the causal mask, whose {@code FloatPointer} this scope does not take, and keeps none
 * past the step. Nd4j's constant cache (dimension lists and operation arguments kept for reuse)
 * copies its values into native memory. So each pointer freed here is one whose operation has
 * returned: the collector could have freed it at that moment. Not taken: {@code PointerPointer}s,
 * because Nd4j keeps some per thread, made on the thread's first operation.
 *
 * <p>Nd4j's other per-operation bookkeeping (a data-buffer descriptor per array and view, a
 * context per operation) is freed by Nd4j's deallocator threads after ordinary young collections.
 * Workspaces would change none of this: they hold array data, which the forward pass already
 * closes as soon as it is used.
 */
final class Nd4jStepScope {

    private Nd4jStepScope() {
    }

    /** Opens the scope on this thread; close it on the same thread, when the step ends. */
    static PointerScope open() {
        return new PointerScope(LongPointer.class, IntPointer.class, DoublePointer.class, BooleanPointer.class);
    }
}

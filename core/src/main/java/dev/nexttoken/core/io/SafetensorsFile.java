package dev.nexttoken.core.io;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nexttoken.core.ModelLoadException;
import dev.nexttoken.core.NextTokenException;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.indexer.FloatIndexer;
import org.nd4j.linalg.api.buffer.DataBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.IntStream;

/**
 * A {@code .safetensors} file, opened for reading: its validated header, and its tensors as
 * float32 Nd4j arrays over memory-mapped data.
 *
 * <p>The format: an 8-byte little-endian unsigned header length N, N bytes of JSON mapping each
 * tensor name to {@code {"dtype", "shape", "data_offsets": [begin, end]}} (offsets relative to
 * the data section that follows the header; an optional {@code "__metadata__"} object of
 * strings), then the raw little-endian tensor data.
 *
 * <p>{@link #open(Path)} reads and checks the whole header before any data is touched: header
 * length within the file, well-formed JSON without duplicate keys, a known dtype, a shape and
 * offsets for every tensor, a byte length equal to the element count times the element size,
 * every tensor inside the data section, no two tensors overlapping. Every problem is a
 * {@link ModelLoadException} naming the file and the tensor.
 *
 * <p>{@link #load(String)} returns:
 * <ul>
 *   <li>for {@code F32}: the tensor's bytes memory-mapped (read-only, one mapping per tensor, so
 *       at most 2 GB each) and an array <em>over the mapped memory itself</em>, no copy (unless the
 *       data is not 4-byte aligned, the tensor is over 2 GB or the machine is big-endian: then
 *       a copy). Such an array is
 *       <strong>read-only</strong>: an in-place operation on it ({@code addi}, {@code assign},
 *       an op with it as output) writes to a read-only page and crashes the JVM. Use
 *       {@code dup()} for a writable copy. The array keeps its mapping alive for as long as it
 *       (or any view of it) is reachable, whether or not this file is still open.</li>
 *   <li>for {@code F16} and {@code BF16}: a new float32 array, converted chunk by chunk as the
 *       data is read (not mapped): no full-size temporary on the Java heap, and the 16-bit data
 *       does not stay in the process's memory, so a converted model needs only its float32
 *       size.</li>
 * </ul>
 * Both paths work on the arrays' host memory and so assume a CPU backend ({@code nd4j-native});
 * they are untested on CUDA. Mapped memory counts against javacpp's {@code maxPhysicalBytes}
 * check, so large models need {@code -Dorg.bytedeco.javacpp.maxphysicalbytes=0}.
 *
 * <p>{@link #write(Path, Map, Dtype)} writes tensors as a new file (F32, F16 or BF16).
 *
 * <p>Instances are safe for use by several threads.
 */
public final class SafetensorsFile implements AutoCloseable {

    /** The largest header accepted, as in the reference implementation: 100 MB. */
    static final long MAX_HEADER_BYTES = 100_000_000L;

    /**
     * Elements read per step when converting (F16, BF16) or scanning data, and per parallel chunk
     * of an F32 copy: 4 MB of float32.
     */
    private static final int CHUNK_ELEMENTS = 1 << 20;

    private static final String METADATA_KEY = "__metadata__";

    private static final ObjectMapper MAPPER = new ObjectMapper()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private final Path path;
    private final FileChannel channel;
    /** File offset of the data section: 8 + header length. */
    private final long dataStart;
    /** The file's length when it was opened. */
    private final long length;
    private final Map<String, TensorInfo> tensors;
    private final Map<String, String> metadata;
    /** The mappings of the float32 tensors loaded without a copy, by name. */
    private final Map<String, Mapping> mappings = new HashMap<>();
    /** Reused buffer for reading data that is converted (F16, BF16) or scanned; made on first use. */
    private ByteBuffer scratch;
    private boolean closed;

    /** A tensor's mapped bytes and the native address where they start. */
    private record Mapping(ByteBuffer bytes, long address) {
    }

    private SafetensorsFile(Path path, FileChannel channel, long dataStart, long length,
                            Map<String, TensorInfo> tensors, Map<String, String> metadata) {
        this.path = path;
        this.channel = channel;
        this.dataStart = dataStart;
        this.length = length;
        this.tensors = tensors;
        this.metadata = metadata;
    }

    /**
     * Opens a safetensors file and validates its header. No tensor data is read yet.
     *
     * @param path the file
     * @return the open file; close it when its arrays are no longer needed
     * @throws ModelLoadException if the file is missing, not a regular file (a directory, FIFO,
     *                            device, symbolic-link loop), unreadable, or not a valid
     *                            safetensors file; the message names the file and the tensor
     */
    public static SafetensorsFile open(Path path) {
        Objects.requireNonNull(path, "path");
        OffHeapLimits.apply();
        // before the open: opening a FIFO would block
        FileChecks.requireRegularFile(path, ".safetensors file", "file not found");
        FileChannel channel;
        try {
            channel = FileChannel.open(path, StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            throw new ModelLoadException(path + ": file not found (was it deleted after it was checked?)", e);
        } catch (AccessDeniedException e) {
            throw new ModelLoadException(path + ": permission denied", e);
        } catch (IOException e) {
            throw new ModelLoadException(path + ": cannot open: " + e.getMessage(), e);
        }
        try {
            return readHeader(path, channel);
        } catch (RuntimeException e) {
            closeQuietly(channel);
            throw e;
        }
    }

    /** @return the file this was opened from */
    public Path path() {
        return path;
    }

    /** @return the tensor names in header order ({@code __metadata__} excluded); unmodifiable */
    public Set<String> names() {
        return Collections.unmodifiableSet(tensors.keySet());
    }

    /** @return the header's {@code __metadata__} strings (empty if absent); unmodifiable */
    public Map<String, String> metadata() {
        return Collections.unmodifiableMap(metadata);
    }

    /**
     * @param name a tensor name
     * @return the tensor's header entry
     * @throws ModelLoadException if the file has no tensor of that name
     */
    public TensorInfo info(String name) {
        TensorInfo info = tensors.get(name);
        if (info == null) {
            throw new ModelLoadException(path + ": no tensor named '" + name + "'");
        }
        return info;
    }

    /**
     * Loads a tensor as a float32 array of the shape in the header (row-major, rank 0 for a
     * scalar). See the class description for when the result is a zero-copy, read-only view of
     * the file.
     *
     * @param name a tensor name
     * @return the tensor as a float32 array
     * @throws ModelLoadException    if there is no such tensor, its dtype is not F32, F16 or BF16,
     *                               or its data cannot be mapped or read
     * @throws IllegalStateException if this file has been closed
     */
    public synchronized INDArray load(String name) {
        ensureOpen();
        TensorInfo info = loadableInfo(name);
        long[] shape = info.shape();
        long count = info.elementCount();
        if (count == 0) {
            return Nd4j.create(DataType.FLOAT, shape);
        }
        boolean aligned = (dataStart + info.begin()) % Float.BYTES == 0;  // mappings keep the file offset modulo the page size
        boolean mappable = info.byteLength() <= Integer.MAX_VALUE;          // one mapping is at most 2 GB
        if (info.dtype() == Dtype.F32 && aligned && mappable && ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN) {
            Mapping mapping = map(info);
            if (mapping.address() % Float.BYTES == 0) {
                return wrapFloats(mapping, count, shape);
            }
        }
        return decode(info, count, shape);
    }

    /**
     * Loads a tensor as a new float32 array in ordinary, writable Nd4j memory: the data is read
     * (not mapped) and converted if needed.
     *
     * @param name a tensor name
     * @return a copy of the tensor as a float32 array of the shape in the header
     * @throws ModelLoadException    if there is no such tensor, its dtype is not F32, F16 or BF16,
     *                               or its data cannot be read
     * @throws IllegalStateException if this file has been closed
     */
    public synchronized INDArray loadCopy(String name) {
        ensureOpen();
        TensorInfo info = loadableInfo(name);
        long count = info.elementCount();
        return count == 0 ? Nd4j.create(DataType.FLOAT, info.shape()) : decode(info, count, info.shape());
    }

    /**
     * A tensor's bytes exactly as stored (any dtype), copied into a new Nd4j {@code BYTE} array of
     * {@link TensorInfo#byteLength()} elements in ordinary, writable memory: the 16-bit and 8-bit
     * weight formats are kept this way, not converted.
     *
     * @param name a tensor name
     * @return the bytes, little-endian as in the file; the caller closes the array when done
     * @throws ModelLoadException    if there is no such tensor or its data cannot be read
     * @throws IllegalStateException if this file has been closed
     */
    public synchronized INDArray loadRaw(String name) {
        ensureOpen();
        TensorInfo info = info(name);
        INDArray bytes = Nd4j.createUninitialized(DataType.BYTE, new long[]{Math.max(1, info.byteLength())}, 'c');
        if (info.byteLength() > 0) {
            readInto(info, new BytePointer(bytes.data().addressPointer()));
        }
        return bytes;
    }

    /**
     * A tensor's bytes exactly as stored (any dtype), as a read-only view of the memory-mapped
     * file: the file must not change while the view is in use (see the class description).
     *
     * @param name a tensor name
     * @return a little-endian, read-only buffer over the tensor's bytes
     * @throws ModelLoadException    if there is no such tensor, or it is over 2 GB or cannot be mapped
     * @throws IllegalStateException if this file has been closed
     */
    public synchronized ByteBuffer mapRaw(String name) {
        ensureOpen();
        return map(info(name)).bytes();
    }

    /**
     * One tensor for {@link #writeRaw}: its stored type, its shape and its bytes.
     *
     * @param dtype the stored type
     * @param shape the dimensions, outermost first
     * @param data  exactly {@code elements · dtype.byteSize()} bytes, little-endian, from its
     *              position to its limit (read, not consumed)
     */
    public record RawTensor(Dtype dtype, long[] shape, ByteBuffer data) {
        /** Checks that the bytes fit the shape and type. */
        public RawTensor {
            Objects.requireNonNull(dtype, "dtype");
            shape = shape.clone();
            long elements = 1;
            for (long dim : shape) {
                elements *= dim;
            }
            if (data.remaining() != elements * dtype.byteSize()) {
                throw new IllegalArgumentException("a " + dtype + " tensor of shape " + Arrays.toString(shape)
                        + " needs " + elements * dtype.byteSize() + " bytes, not " + data.remaining());
            }
        }

        /** @return a copy of the shape */
        @Override
        public long[] shape() {
            return shape.clone();
        }
    }

    /**
     * Writes tensors of any dtypes, as stored bytes, to a new safetensors file in the map's
     * order, as {@link #write} does: same header, written under a temporary name, flushed and
     * then moved into place.
     *
     * @param path    the file to write; an existing file is replaced
     * @param tensors name to tensor
     * @throws IllegalArgumentException if a name is empty or {@code __metadata__}
     * @throws NextTokenException       if the file cannot be written
     */
    public static void writeRaw(Path path, Map<String, RawTensor> tensors) {
        Objects.requireNonNull(path, "path");
        List<Entry> entries = new ArrayList<>();
        for (Map.Entry<String, RawTensor> e : tensors.entrySet()) {
            RawTensor tensor = e.getValue();
            entries.add(new Entry(e.getKey(), tensor.dtype(), tensor.shape(), tensor.data().remaining(),
                    out -> writeFully(out, tensor.data().duplicate())));
        }
        writeFile(path, entries, true);
    }

    /**
     * Tells whether two tensors are identical: same dtype, same shape, same bytes. The data is
     * read and compared chunk by chunk, not mapped.
     *
     * @param first  a tensor name
     * @param second another tensor name
     * @return true if the two tensors hold the same values in the same encoding
     * @throws ModelLoadException    if there is no such tensor or its data cannot be read
     * @throws IllegalStateException if this file has been closed
     */
    public synchronized boolean sameData(String first, String second) {
        ensureOpen();
        TensorInfo a = info(first);
        TensorInfo b = info(second);
        if (a.dtype() != b.dtype() || !Arrays.equals(a.shape(), b.shape())) {
            return false;
        }
        int chunkBytes = CHUNK_ELEMENTS * Float.BYTES;
        for (long done = 0; done < a.byteLength(); done += chunkBytes) {
            int length = (int) Math.min(chunkBytes, a.byteLength() - done);
            ByteBuffer chunkA = readBytes(path, channel, dataStart + a.begin() + done, length);
            ByteBuffer chunkB = readBytes(path, channel, dataStart + b.begin() + done, length);
            if (!chunkA.equals(chunkB)) {
                return false;
            }
        }
        return true;
    }

    /**
     * Scans a tensor's raw data for NaN and infinite values, without converting or mapping it.
     *
     * @param name a tensor name
     * @return the flat (row-major) index of the first NaN or infinite element, or -1 if there
     * is none; always -1 for types other than F32, F16 and BF16
     * @throws ModelLoadException    if there is no such tensor or it cannot be read
     * @throws IllegalStateException if this file has been closed
     */
    public synchronized long firstNonFinite(String name) {
        ensureOpen();
        TensorInfo info = info(name);
        if (!info.dtype().isLoadable()) {
            return -1;
        }
        boolean wide = info.dtype() == Dtype.F32;
        int exponentMask = switch (info.dtype()) {                    // all exponent bits set: NaN or infinity
            case F32 -> 0x7F800000;
            case F16 -> 0x7C00;
            default -> 0x7F80;                                        // BF16
        };
        long count = info.elementCount();
        int chunkLength = (int) Math.min(count, CHUNK_ELEMENTS);
        for (long from = 0; from < count; from += chunkLength) {
            int length = (int) Math.min(chunkLength, count - from);
            ByteBuffer bytes = readElements(info, from, length);
            for (int i = 0; i < length; i++) {
                int bits = wide ? bytes.getInt(i * Float.BYTES) : bytes.getShort(i * Short.BYTES);
                if ((bits & exponentMask) == exponentMask) {
                    return from + i;
                }
            }
        }
        return -1;
    }

    /**
     * Checks that the file still has the length it had when it was opened: the last step of a
     * load, so that a file truncated while it was being loaded fails the load with its name,
     * instead of a later read of a mapped tensor past the new end faulting in native code.
     *
     * @throws ModelLoadException    if the file is shorter or longer now, or cannot be read
     * @throws IllegalStateException if this file has been closed
     */
    public synchronized void requireUnchangedLength() {
        ensureOpen();
        long now;
        try {
            now = channel.size();
        } catch (IOException e) {
            throw new ModelLoadException(path + ": cannot read: " + e.getMessage(), e);
        }
        if (now != length) {
            throw new ModelLoadException(path + ": the file changed while it was being loaded (" + length
                    + " bytes when opened, " + now + " now): do not write over a model file in use; write the"
                    + " new file beside it and rename it over the old one");
        }
    }

    /**
     * Tells whether an array's memory lies inside one of this file's tensor mappings, that is,
     * whether it was loaded without a copy.
     *
     * @param array an array, for example one returned by {@link #load(String)}
     * @return true if its data is mapped file memory of this file
     */
    public synchronized boolean isMapped(INDArray array) {
        long address = array.data().address();
        for (Mapping mapping : mappings.values()) {
            if (address >= mapping.address() && address < mapping.address() + mapping.bytes().capacity()) {
                return true;
            }
        }
        return false;
    }

    /**
     * Closes the file. Arrays already loaded stay valid: a zero-copy array keeps its own mapping
     * alive, and the memory is unmapped once it is no longer reachable. Safe to call twice.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        mappings.clear();
        scratch = null;
        closeQuietly(channel);
    }

    /**
     * Closes the file and unmaps every tensor mapped from it now, instead of when the garbage
     * collector finds the arrays unreachable: for an owner that knows no array of this file is in
     * use any more ({@link dev.nexttoken.core.model.Gpt2Weights#close()}). Arrays loaded without a
     * copy must not be touched afterwards: their memory is gone. Safe to call twice.
     */
    public synchronized void closeAndUnmap() {
        List<ByteBuffer> mapped = new ArrayList<>();
        mappings.values().forEach(mapping -> mapped.add(mapping.bytes()));
        close();
        mapped.forEach(Unmapper::unmap);
    }

    // ------------------------------------------------------------------------------------------
    // Writing

    /**
     * Writes tensors to a new safetensors file, in the map's iteration order, with
     * {@code __metadata__ {"format": "pt"}} and the header padded with spaces to a multiple of
     * 8 bytes. The file is written under a temporary name and then moved into place, so a
     * failed write never leaves a half-written file at {@code path}, and arrays still mapped from
     * the file being replaced keep their (old) data.
     *
     * @param path    the file to write; an existing file is replaced
     * @param tensors name to array, any numeric data type and layout (converted to float32 and
     *                written row-major)
     * @param dtype   the stored type: {@link Dtype#F32}, {@link Dtype#F16} or {@link Dtype#BF16}
     *                (F16 and BF16 round to nearest, ties to even)
     * @throws IllegalArgumentException if {@code dtype} is another type, or a name is empty or
     *                                  {@code __metadata__}
     * @throws NextTokenException       if the file cannot be written
     */
    public static void write(Path path, Map<String, INDArray> tensors, Dtype dtype) {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(tensors, "tensors");
        if (!dtype.isLoadable()) {
            throw new IllegalArgumentException("can write F32, F16 or BF16, not " + dtype);
        }
        List<Entry> entries = new ArrayList<>();
        for (Map.Entry<String, INDArray> e : tensors.entrySet()) {
            INDArray array = e.getValue();
            entries.add(new Entry(e.getKey(), dtype, array.shape(), array.length() * dtype.byteSize(),
                    out -> writeTensorData(out, array, dtype)));
        }
        writeFile(path, entries, false);
    }

    /** One tensor of a file being written: its header entry, and what writes its bytes. */
    private record Entry(String name, Dtype dtype, long[] shape, long byteLength, TensorBytes bytes) {
    }

    /** Writes one tensor's bytes at the channel's position. */
    @FunctionalInterface
    private interface TensorBytes {
        void writeTo(FileChannel out) throws IOException;
    }

    /**
     * Writes a safetensors file of the entries in order: the header (names checked first, the
     * data section 8-byte aligned), then each tensor's bytes, under a temporary name, flushed to
     * the disk when {@code force} (the caller's job otherwise), then moved into place; a failed
     * write leaves no temporary file.
     */
    private static void writeFile(Path path, List<Entry> entries, boolean force) {
        ObjectNode header = MAPPER.createObjectNode();
        header.putObject(METADATA_KEY).put("format", "pt");
        long offset = 0;
        for (Entry entry : entries) {
            String name = entry.name();
            if (name == null || name.isEmpty() || METADATA_KEY.equals(name)) {
                throw new IllegalArgumentException("invalid tensor name '" + name + "'");
            }
            ObjectNode info = header.putObject(name);
            info.put("dtype", entry.dtype().name());
            ArrayNode shape = info.putArray("shape");
            for (long dim : entry.shape()) {
                shape.add(dim);
            }
            info.putArray("data_offsets").add(offset).add(offset + entry.byteLength());
            offset += entry.byteLength();
        }
        byte[] json;
        try {
            json = MAPPER.writeValueAsBytes(header);
        } catch (JsonProcessingException e) {
            throw new NextTokenException(path + ": cannot encode the safetensors header: " + e.getMessage(), e);
        }
        int padding = (8 - json.length % 8) % 8;                 // data section starts 8-byte aligned
        byte[] paddedHeader = Arrays.copyOf(json, json.length + padding);
        Arrays.fill(paddedHeader, json.length, paddedHeader.length, (byte) ' ');

        Path temporary = path.resolveSibling(path.getFileName() + AtomicFiles.TEMPORARY_SUFFIX);
        try (FileChannel out = FileChannel.open(temporary, StandardOpenOption.CREATE,
                StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
            ByteBuffer length = ByteBuffer.allocate(Long.BYTES).order(ByteOrder.LITTLE_ENDIAN);
            length.putLong(paddedHeader.length).flip();
            writeFully(out, length);
            writeFully(out, ByteBuffer.wrap(paddedHeader));
            for (Entry entry : entries) {
                entry.bytes().writeTo(out);
            }
            if (force) {
                out.force(true);
            }
        } catch (NoSuchFileException e) {
            throw new NextTokenException(path + ": cannot write safetensors file: the folder "
                    + path.toAbsolutePath().getParent() + " does not exist", e);
        } catch (IOException e) {
            deleteQuietly(temporary);
            throw new NextTokenException(path + ": cannot write safetensors file: " + e, e);
        } catch (RuntimeException e) {
            deleteQuietly(temporary);
            throw e;
        }
        try {
            AtomicFiles.replace(temporary, path);
        } catch (IOException e) {
            deleteQuietly(temporary);
            throw new NextTokenException(path + ": cannot write safetensors file: " + e, e);
        }
    }

    private static void writeTensorData(FileChannel out, INDArray array, Dtype dtype) throws IOException {
        long count = array.length();
        if (count == 0) {
            return;
        }
        INDArray floats = array.dataType() == DataType.FLOAT ? array : array.castTo(DataType.FLOAT);
        INDArray flat = floats.reshape('c', new long[]{count});              // [count], row-major (copies only if needed)
        ByteBuffer encoded = ByteBuffer.allocate((int) Math.min(count, CHUNK_ELEMENTS) * dtype.byteSize())
                .order(ByteOrder.LITTLE_ENDIAN);
        for (long from = 0; from < count; from += CHUNK_ELEMENTS) {
            long to = Math.min(count, from + CHUNK_ELEMENTS);
            float[] values = flat.get(NDArrayIndex.interval(from, to)).toFloatVector();
            encoded.clear();
            for (float value : values) {
                switch (dtype) {
                    case F32 -> encoded.putFloat(value);
                    case F16 -> encoded.putShort(Float16.floatToHalf(value));
                    case BF16 -> encoded.putShort(Float16.floatToBf16(value));
                    default -> throw new AssertionError(dtype);
                }
            }
            encoded.flip();
            writeFully(out, encoded);
        }
    }

    // ------------------------------------------------------------------------------------------
    // Reading the header

    private static SafetensorsFile readHeader(Path path, FileChannel channel) {
        String where = path + ": ";
        long fileSize;
        try {
            fileSize = channel.size();
        } catch (IOException e) {
            throw new ModelLoadException(where + "cannot read: " + e.getMessage(), e);
        }
        if (fileSize == 0) {
            throw new ModelLoadException(where + "the file is empty (0 bytes), not a safetensors file");
        }
        if (fileSize < Long.BYTES) {
            throw new ModelLoadException(where + "the file is too short (" + fileSize
                    + " bytes) to be a safetensors file: it must start with an 8-byte header length");
        }
        long headerLength = readBytes(path, channel, 0, Long.BYTES).order(ByteOrder.LITTLE_ENDIAN).getLong();
        if (headerLength < 0 || headerLength > fileSize - Long.BYTES) {
            throw new ModelLoadException(where + "header length " + Long.toUnsignedString(headerLength)
                    + " (the first 8 bytes) goes beyond the end of the file (" + fileSize
                    + " bytes): the file is truncated or not a safetensors file");
        }
        if (headerLength > MAX_HEADER_BYTES) {
            throw new ModelLoadException(where + "header length " + headerLength + " exceeds the "
                    + MAX_HEADER_BYTES + "-byte limit: not a safetensors file?");
        }
        if (headerLength < 2) {
            throw new ModelLoadException(where + "malformed header JSON: header length is " + headerLength
                    + " bytes, too short for a JSON object");
        }
        ByteBuffer headerBytes = readBytes(path, channel, Long.BYTES, (int) headerLength);
        JsonNode root;
        try {
            root = MAPPER.readTree(headerBytes.array());
        } catch (JsonProcessingException e) {
            String location = e.getLocation() == null ? ""
                    : " (at byte " + e.getLocation().getByteOffset() + " of the header)";
            throw new ModelLoadException(where + "malformed header JSON: " + e.getOriginalMessage() + location, e);
        } catch (IOException e) {
            throw new ModelLoadException(where + "malformed header JSON: " + e.getMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new ModelLoadException(where + "malformed header JSON: expected an object, found "
                    + (root == null ? "nothing" : root.getNodeType().toString().toLowerCase(java.util.Locale.ROOT)));
        }
        long dataStart = Long.BYTES + headerLength;
        long dataLength = fileSize - dataStart;
        Map<String, TensorInfo> tensors = new LinkedHashMap<>();
        Map<String, String> metadata = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> field : root.properties()) {
            if (METADATA_KEY.equals(field.getKey())) {
                readMetadata(field.getValue(), metadata, where);
            } else {
                TensorInfo info = parseEntry(field.getKey(), field.getValue(), where);
                tensors.put(info.name(), info);
            }
        }
        checkLayout(tensors.values(), dataLength, fileSize, dataStart, where);
        return new SafetensorsFile(path, channel, dataStart, fileSize, tensors, metadata);
    }

    private static void readMetadata(JsonNode node, Map<String, String> metadata, String where) {
        if (!node.isObject()) {
            throw new ModelLoadException(where + "malformed header: '__metadata__' must be an object of strings");
        }
        for (Map.Entry<String, JsonNode> entry : node.properties()) {
            if (!entry.getValue().isTextual()) {
                throw new ModelLoadException(where + "malformed header: '__metadata__' value '" + entry.getKey()
                        + "' must be a string, got " + entry.getValue());
            }
            metadata.put(entry.getKey(), entry.getValue().textValue());
        }
    }

    private static TensorInfo parseEntry(String name, JsonNode node, String where) {
        String tensor = where + "tensor '" + name + "'";
        if (!node.isObject()) {
            throw new ModelLoadException(tensor + ": header entry must be an object with dtype, shape and "
                    + "data_offsets, got " + node);
        }
        JsonNode dtypeNode = node.get("dtype");
        if (dtypeNode == null) {
            throw new ModelLoadException(tensor + ": header entry has no 'dtype'");
        }
        if (!dtypeNode.isTextual()) {
            throw new ModelLoadException(tensor + ": 'dtype' must be a string, got " + dtypeNode);
        }
        Dtype dtype = Dtype.fromHeaderName(dtypeNode.textValue()).orElseThrow(() -> new ModelLoadException(
                tensor + ": unsupported dtype '" + dtypeNode.textValue() + "' (safetensors dtypes: "
                        + Dtype.allNames() + ")"));
        long[] shape = longArray(node, "shape", -1, tensor);
        long[] offsets = longArray(node, "data_offsets", 2, tensor);
        long begin = offsets[0];
        long end = offsets[1];
        if (end < begin) {
            throw new ModelLoadException(tensor + ": data_offsets [" + begin + ", " + end + "] end before they begin");
        }
        long count = 1;
        try {
            for (long dim : shape) {
                count = Math.multiplyExact(count, dim);
            }
            long expectedBytes = Math.multiplyExact(count, (long) dtype.byteSize());
            if (expectedBytes != end - begin) {
                throw new ModelLoadException(tensor + " (" + dtype + ", shape " + Arrays.toString(shape) + ") needs "
                        + expectedBytes + " bytes, but its data_offsets [" + begin + ", " + end + "] hold "
                        + (end - begin));
            }
        } catch (ArithmeticException e) {
            throw new ModelLoadException(tensor + ": shape " + Arrays.toString(shape) + " is too large", e);
        }
        return new TensorInfo(name, dtype, shape, begin, end);
    }

    /** Reads a JSON array of non-negative integers; {@code length} -1 accepts any length. */
    private static long[] longArray(JsonNode entry, String key, int length, String tensor) {
        JsonNode node = entry.get(key);
        if (node == null) {
            throw new ModelLoadException(tensor + ": header entry has no '" + key + "'");
        }
        boolean valid = node.isArray() && (length < 0 || node.size() == length);
        for (int i = 0; valid && i < node.size(); i++) {
            JsonNode item = node.get(i);
            valid = item.isIntegralNumber() && item.canConvertToLong() && item.longValue() >= 0;
        }
        if (!valid) {
            String what = length < 0 ? "an array of non-negative integers" : "an array of " + length + " non-negative integers";
            throw new ModelLoadException(tensor + ": '" + key + "' must be " + what + ", got " + node);
        }
        long[] values = new long[node.size()];
        for (int i = 0; i < values.length; i++) {
            values[i] = node.get(i).longValue();
        }
        return values;
    }

    /** Checks that every tensor lies inside the data section and that none overlap. */
    private static void checkLayout(Iterable<TensorInfo> infos, long dataLength, long fileSize, long dataStart,
                                    String where) {
        List<TensorInfo> byOffset = new ArrayList<>();
        infos.forEach(byOffset::add);
        byOffset.sort(Comparator.comparingLong(TensorInfo::begin).thenComparingLong(TensorInfo::end));

        long maxEnd = 0;
        boolean contiguous = true;                               // tensors packed back to back from offset 0
        for (TensorInfo info : byOffset) {
            contiguous &= info.begin() == maxEnd;
            maxEnd = Math.max(maxEnd, info.end());
        }
        if (maxEnd > dataLength) {
            TensorInfo first = byOffset.stream().filter(t -> t.end() > dataLength).findFirst().orElseThrow();
            if (contiguous) {
                throw new ModelLoadException(where + "the file is truncated: its header describes " + maxEnd
                        + " bytes of tensor data but only " + dataLength + " are present (file size " + fileSize
                        + ", expected " + (dataStart + maxEnd) + "); tensor '" + first.name() + "' is incomplete");
            }
            throw new ModelLoadException(where + "tensor '" + first.name() + "' has data_offsets [" + first.begin()
                    + ", " + first.end() + "] out of range: the data section holds only " + dataLength
                    + " bytes (the header is corrupt or the file is truncated)");
        }
        TensorInfo previous = null;
        for (TensorInfo info : byOffset) {
            if (info.byteLength() == 0) {
                continue;
            }
            if (previous != null && info.begin() < previous.end()) {
                throw new ModelLoadException(where + "tensors '" + previous.name() + "' [" + previous.begin() + ", "
                        + previous.end() + "] and '" + info.name() + "' [" + info.begin() + ", " + info.end()
                        + "] have overlapping data_offsets");
            }
            previous = info;
        }
    }

    // ------------------------------------------------------------------------------------------
    // Loading data

    private Mapping map(TensorInfo info) {
        Mapping mapping = mappings.get(info.name());
        if (mapping != null) {
            return new Mapping(mapping.bytes().duplicate().order(ByteOrder.LITTLE_ENDIAN), mapping.address());
        }
        String tensor = path + ": tensor '" + info.name() + "'";
        if (info.byteLength() > Integer.MAX_VALUE) {
            throw new ModelLoadException(tensor + " has " + info.byteLength()
                    + " bytes; tensors larger than 2 GB cannot be memory-mapped");
        }
        try {
            if (channel.size() < dataStart + info.end()) {
                throw new ModelLoadException(tensor + ": the file was truncated after it was opened");
            }
            ByteBuffer bytes = channel.map(FileChannel.MapMode.READ_ONLY, dataStart + info.begin(), info.byteLength())
                    .order(ByteOrder.LITTLE_ENDIAN);
            mapping = new Mapping(bytes, new Pointer(bytes).address());
        } catch (IOException e) {
            throw new ModelLoadException(tensor + ": cannot memory-map its data: " + e.getMessage(), e);
        }
        mappings.put(info.name(), mapping);
        return new Mapping(mapping.bytes().duplicate().order(ByteOrder.LITTLE_ENDIAN), mapping.address());
    }

    /**
     * The zero-copy path: an array whose data buffer is the mapped memory. The FloatPointer
     * holds the FloatBuffer, which holds the mapping; the array holds the pointer through its
     * data buffer, so the mapping lives as long as the array.
     */
    private static INDArray wrapFloats(Mapping mapping, long count, long[] shape) {
        FloatBuffer floats = mapping.bytes().asFloatBuffer();
        FloatPointer pointer = new FloatPointer(floats);
        DataBuffer buffer = Nd4j.createBuffer(pointer, DataType.FLOAT, count, FloatIndexer.create(pointer));
        return Nd4j.create(buffer, shape);
    }

    /**
     * Reads a tensor into a new float32 array, not mapped (so the file's data does not stay in this
     * process's memory): F32 straight into the array ({@link #readInto}); F16 and BF16 chunk by
     * chunk, each decoded into a Java array and copied into the result's (CPU) memory in one call.
     */
    private INDArray decode(TensorInfo info, long count, long[] shape) {
        INDArray result = Nd4j.createUninitialized(DataType.FLOAT, shape, 'c');
        if (info.dtype() == Dtype.F32 && ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN) {
            readInto(info, new BytePointer(result.data().addressPointer()));
            return result;
        }
        FloatPointer target = new FloatPointer(result.data().addressPointer());
        int chunkLength = (int) Math.min(count, CHUNK_ELEMENTS);
        float[] floats = new float[chunkLength];
        short[] shorts = new short[chunkLength];
        for (long from = 0; from < count; from += chunkLength) {
            int length = (int) Math.min(chunkLength, count - from);
            ByteBuffer bytes = readElements(info, from, length);
            switch (info.dtype()) {
                case F32 -> bytes.asFloatBuffer().get(floats, 0, length);
                case F16 -> {
                    bytes.asShortBuffer().get(shorts, 0, length);
                    for (int i = 0; i < length; i++) {
                        floats[i] = Float16.halfToFloat(shorts[i]);
                    }
                }
                case BF16 -> {
                    bytes.asShortBuffer().get(shorts, 0, length);
                    for (int i = 0; i < length; i++) {
                        floats[i] = Float16.bf16ToFloat(shorts[i]);
                    }
                }
                default -> throw new AssertionError(info.dtype());
            }
            target.position(from).put(floats, 0, length);        // elements [from, from + length) of result
        }
        return result;
    }

    /**
     * Reads a tensor's bytes straight into {@code target} (F32 on a little-endian machine needs no
     * conversion), in chunks of {@link #CHUNK_ELEMENTS} floats read in parallel: the first touch of
     * fresh memory is a page fault per 4 KB, slow on virtual machines with nested paging, so a
     * large model's faults take long on one thread and are worth spreading over the cores
     * (docs/PERFORMANCE.md has the measurements). A chunk that fails
     * stops the chunks not yet started; the first failure is thrown once every chunk has returned,
     * so nothing still writes into the array when the caller drops it.
     */
    private void readInto(TensorInfo info, BytePointer target) {
        long bytes = info.byteLength();
        long chunkBytes = (long) CHUNK_ELEMENTS * Float.BYTES;
        int chunks = (int) ((bytes + chunkBytes - 1) / chunkBytes);
        AtomicReference<RuntimeException> failure = new AtomicReference<>();
        IntStream.range(0, chunks).parallel().forEach(chunk -> {
            if (failure.get() != null) {
                return;
            }
            long from = chunk * chunkBytes;
            try {
                ByteBuffer window = window(target, from, Math.min(chunkBytes, bytes - from));
                readFully(info, window, dataStart + info.begin() + from);
            } catch (RuntimeException e) {
                failure.compareAndSet(null, e);
            }
        });
        if (failure.get() != null) {
            throw failure.get();
        }
    }

    /**
     * A byte buffer over {@code length} bytes of native memory, {@code from} bytes past
     * {@code base}, index 0 at that byte. Built from the offset address itself: a buffer over
     * {@code base} positioned at {@code from} could not reach past 2 GB.
     */
    static ByteBuffer window(BytePointer base, long from, long length) {
        if (length > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("a window of " + length + " bytes is over 2 GB");
        }
        BytePointer start = base.getPointer(from);
        return start.capacity(length).limit(length).asByteBuffer();
    }

    /**
     * Reads elements [from, from + length) of a tensor (length at most {@link #CHUNK_ELEMENTS})
     * into the reused scratch buffer.
     *
     * @return the scratch buffer, little-endian, holding exactly those bytes from position 0
     */
    private ByteBuffer readElements(TensorInfo info, long from, int length) {
        if (scratch == null) {
            scratch = ByteBuffer.allocateDirect(CHUNK_ELEMENTS * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        }
        int size = info.dtype().byteSize();
        scratch.clear().limit(length * size);
        readFully(info, scratch, dataStart + info.begin() + from * size);
        return scratch.flip();
    }

    /**
     * Fills {@code into} (from its position to its limit) with a tensor's bytes from file offset
     * {@code position} on.
     *
     * @throws ModelLoadException if the file ends first or cannot be read
     */
    private void readFully(TensorInfo info, ByteBuffer into, long position) {
        long next = position;
        try {
            while (into.hasRemaining()) {
                int read = channel.read(into, next);
                if (read < 0) {
                    throw new ModelLoadException(path + ": tensor '" + info.name()
                            + "': unexpected end of file (was the file truncated after it was opened?)");
                }
                next += read;
            }
        } catch (IOException e) {
            throw new ModelLoadException(path + ": tensor '" + info.name() + "': cannot read its data: "
                    + e.getMessage(), e);
        }
    }

    // ------------------------------------------------------------------------------------------
    // Small helpers

    private TensorInfo loadableInfo(String name) {
        TensorInfo info = info(name);
        if (!info.dtype().isLoadable()) {
            throw new ModelLoadException(path + ": tensor '" + name + "' has dtype " + info.dtype()
                    + "; only F32, F16 and BF16 tensors can be loaded");
        }
        return info;
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException(path + ": the safetensors file has been closed");
        }
    }

    private static ByteBuffer readBytes(Path path, FileChannel channel, long position, int length) {
        ByteBuffer buffer = ByteBuffer.allocate(length);
        try {
            while (buffer.hasRemaining()) {
                int read = channel.read(buffer, position + buffer.position());
                if (read < 0) {
                    throw new ModelLoadException(path + ": unexpected end of file at byte " + (position + buffer.position())
                            + " (was the file truncated after it was opened?)");
                }
            }
        } catch (IOException e) {
            throw new ModelLoadException(path + ": cannot read: " + e.getMessage(), e);
        }
        return buffer.flip();
    }

    private static void writeFully(FileChannel out, ByteBuffer buffer) throws IOException {
        while (buffer.hasRemaining()) {
            out.write(buffer);
        }
    }

    private static void closeQuietly(FileChannel channel) {
        try {
            channel.close();
        } catch (IOException ignored) {
            // nothing useful to do: the file was only read
        }
    }

    private static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException ignored) {
            // the write has failed already; that error is the one to report
        }
    }
}

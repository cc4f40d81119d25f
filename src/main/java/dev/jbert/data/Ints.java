package dev.jbert.data;

import dev.jbert.JbertException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.IntBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.zip.CRC32C;

/**
 * Int32 values indexed by a long: one heap array, or a file mapped read-only, so the token ids and example records of
 * a corpus of any size stay out of the Java heap. A mapping holds at most 2 GiB, so a file is mapped in segments of
 * 2^28 ints (1 GiB); a range that crosses a segment boundary is copied in two parts. Files are little-endian.
 */
final class Ints {
  static final int SHIFT = 28;
  private static final long MASK = (1L << SHIFT) - 1;

  private final IntBuffer[] segments;
  private final long size;

  private Ints(IntBuffer[] segments, long size) {
    this.segments = segments;
    this.size = size;
  }

  /** The first {@code n} values of {@code values}, not copied. */
  static Ints of(int[] values, int n) {
    return new Ints(new IntBuffer[] {IntBuffer.wrap(values, 0, n).slice()}, n);
  }

  /** {@code size} ints from byte 0 of {@code file}, mapped read-only (the mapping outlives the file's deletion). */
  static Ints map(Path file, long size) throws IOException {
    int count = (int) ((size + MASK) >>> SHIFT);
    IntBuffer[] segments = new IntBuffer[Math.max(1, count)];
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
      if (channel.size() < size * Integer.BYTES) {
        throw new IOException(file + " holds " + channel.size() + " bytes, fewer than " + size + " ints");
      }
      if (size == 0) {
        segments[0] = IntBuffer.allocate(0);
      }
      for (int s = 0; s < count; s++) {
        long from = (long) s << SHIFT;
        long n = Math.min(size - from, 1L << SHIFT);
        segments[s] = channel.map(FileChannel.MapMode.READ_ONLY, from * Integer.BYTES, n * Integer.BYTES)
            .order(ByteOrder.LITTLE_ENDIAN).asIntBuffer();
      }
    }
    return new Ints(segments, size);
  }

  long size() {
    return size;
  }

  int get(long i) {
    return segments[(int) (i >>> SHIFT)].get((int) (i & MASK));
  }

  /** Copies {@code n} values from index {@code from} into {@code dst[off..]}. */
  void get(long from, int[] dst, int off, int n) {
    while (n > 0) {
      IntBuffer segment = segments[(int) (from >>> SHIFT)];
      int at = (int) (from & MASK);
      int part = Math.min(n, segment.limit() - at);
      segment.get(at, dst, off, part);
      from += part;
      off += part;
      n -= part;
    }
  }

  /** Appends ints to the heap or to a file; {@link #finish} gives them back as {@link Ints}. */
  abstract static class Writer implements AutoCloseable {
    private long size;

    /** Ints kept in one heap array: for corpora small enough to be built in memory. */
    static Writer inMemory() {
      return new Heap();
    }

    /** Ints written to {@code file} (created or truncated), mapped when finished. */
    static ToFile toFile(Path file) {
      return new ToFile(file);
    }

    long size() {
      return size;
    }

    final void add(int value) {
      put(value);
      size++;
    }

    final void add(int[] values, int off, int n) {
      put(values, off, n);
      size += n;
    }

    abstract void put(int value);

    abstract void put(int[] values, int off, int n);

    /** The ints written; the file is flushed and closed first. */
    abstract Ints finish();

    @Override
    public abstract void close();
  }

  private static final class Heap extends Writer {
    private int[] values = new int[1 << 12];
    private int n;

    @Override
    void put(int value) {
      if (n == values.length) {
        grow(1);
      }
      values[n++] = value;
    }

    @Override
    void put(int[] src, int off, int count) {
      if (n + count > values.length) {
        grow(count);
      }
      System.arraycopy(src, off, values, n, count);
      n += count;
    }

    private void grow(int more) {
      long want = Math.max((long) values.length * 2, (long) n + more);
      if (want > Integer.MAX_VALUE - 8) {
        throw new JbertException("the corpus is too large to be built in memory: build it with a cache folder");
      }
      values = Arrays.copyOf(values, (int) want);
    }

    @Override
    Ints finish() {
      return Ints.of(values, n);
    }

    @Override
    public void close() {}
  }

  static final class ToFile extends Writer {
    private final Path file;
    private final FileChannel channel;
    private final ByteBuffer buffer = ByteBuffer.allocateDirect(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
    private final CRC32C crc = new CRC32C();

    ToFile(Path file) {
      this.file = file;
      try {
        channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
            StandardOpenOption.TRUNCATE_EXISTING);
      } catch (IOException e) {
        throw new JbertException("cannot write " + file + ": " + e.getMessage()
            + " (check that the folder is writable and the disk has room)", e);
      }
    }

    @Override
    void put(int value) {
      if (buffer.remaining() < Integer.BYTES) {
        flush();
      }
      buffer.putInt(value);
    }

    @Override
    void put(int[] values, int off, int n) {
      while (n > 0) {
        if (buffer.remaining() < Integer.BYTES) {
          flush();
        }
        int part = Math.min(n, buffer.remaining() / Integer.BYTES);
        buffer.asIntBuffer().put(values, off, part);
        buffer.position(buffer.position() + part * Integer.BYTES);
        off += part;
        n -= part;
      }
    }

    private void flush() {
      buffer.flip();
      crc.update(buffer.duplicate());
      try {
        while (buffer.hasRemaining()) {
          channel.write(buffer);
        }
      } catch (IOException e) {
        throw new JbertException("cannot write " + file + ": " + e.getMessage()
            + " (check that the disk has room)", e);
      }
      buffer.clear();
    }

    /** The CRC-32C of everything written so far. */
    long crc32c() {
      flush();
      return crc.getValue();
    }

    /** Writes {@code bytes} after the ints (a cache file's footer). */
    void putBytes(byte[] bytes) {
      for (int off = 0; off < bytes.length; ) {
        if (!buffer.hasRemaining()) {
          flush();
        }
        int part = Math.min(bytes.length - off, buffer.remaining());
        buffer.put(bytes, off, part);
        off += part;
      }
    }

    @Override
    Ints finish() {
      close();
      try {
        return Ints.map(file, size());
      } catch (IOException e) {
        throw new JbertException("cannot read back " + file + ": " + e.getMessage(), e);
      }
    }

    @Override
    public void close() {
      if (channel.isOpen()) {
        flush();
        try {
          channel.close();
        } catch (IOException e) {
          throw new JbertException("cannot write " + file + ": " + e.getMessage(), e);
        }
      }
    }
  }
}

package dev.jbert.model;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jbert.AtomicFiles;
import dev.jbert.JbertException;
import dev.jbert.Torch;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * The safetensors format (huggingface/safetensors): an 8-byte little-endian header length N, a UTF-8 JSON header of N
 * bytes ({@code "__metadata__"}: string map; per tensor {@code dtype}, {@code shape}, {@code data_offsets} [begin, end)
 * relative to the data section), padded with spaces to a multiple of 8, then the raw little-endian tensor bytes.
 *
 * <p>Written with sorted keys and the data in the same (sorted) order. Dtypes: F64, F32, F16, BF16, I64, I32, I8, U8,
 * BOOL.
 */
public final class SafeTensors {
  /** Plain Jackson, not jbert's style ({@link dev.jbert.Json}): entries keep the reference writer's key order. */
  private static final ObjectMapper JSON = new ObjectMapper();
  /** The reference implementation refuses headers above 100 MB. */
  private static final long MAX_HEADER = 100L * 1024 * 1024;

  private SafeTensors() {}

  /** Writes {@code tensors} (and {@code metadata}, may be empty) to {@code file} via a temp file and an atomic rename. */
  public static void write(Path file, Map<String, Tensor> tensors, Map<String, String> metadata) {
    TreeMap<String, Tensor> sorted = new TreeMap<>(tensors);
    if (sorted.containsKey("__metadata__")) {
      throw new IllegalArgumentException("a tensor may not be called __metadata__");
    }
    Map<String, Object> header = new TreeMap<>();
    if (metadata != null && !metadata.isEmpty()) {
      header.put("__metadata__", new TreeMap<>(metadata));
    }
    long offset = 0;
    for (Map.Entry<String, Tensor> e : sorted.entrySet()) {
      Tensor a = e.getValue();
      long bytes = a.numel() * width(Torch.dtype(a));
      Map<String, Object> entry = new LinkedHashMap<>();
      entry.put("dtype", code(Torch.dtype(a), e.getKey()));
      entry.put("shape", Torch.shape(a));
      entry.put("data_offsets", new long[] {offset, offset + bytes});
      header.put(e.getKey(), entry);
      offset += bytes;
    }
    byte[] json;
    try {
      json = JSON.writeValueAsBytes(header);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
    int padded = (json.length + 7) / 8 * 8;
    ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
    head.putLong(padded).put(json);
    while (head.hasRemaining()) {
      head.put((byte) ' ');
    }
    head.flip();

    AtomicFiles.write(file, out -> {
      WritableByteChannel ch = Channels.newChannel(out);
      writeFully(ch, head);
      for (Tensor a : sorted.values()) {
        try (PointerScope scratch = new PointerScope()) {
          writeFully(ch, littleEndianBytes(a));
        }
      }
    });
  }

  /**
   * Reads every tensor of {@code file} onto {@code device} ({@code cpu}, {@code cuda:0}), in file (data offset) order.
   * The tensors belong to the caller's pointer scope (or to the garbage collector when there is none).
   */
  public static Map<String, Tensor> read(Path file, String device) {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      long size = ch.size();
      Header head = readHeader(ch, file);
      JsonNode header = head.json();
      long headerLen = head.length();
      long dataStart = 8 + headerLen;
      long dataLen = size - dataStart;
      List<Entry> entries = parseEntries(file, header);
      entries.sort(Comparator.comparingLong(en -> en.begin));
      long expectedBegin = 0;
      for (Entry en : entries) {
        if (en.begin != expectedBegin) {
          throw corrupt(file, "tensor " + en.name + " starts at byte " + en.begin + ", expected " + expectedBegin);
        }
        expectedBegin = en.end;
      }
      if (expectedBegin != dataLen) {
        throw corrupt(
            file,
            "the tensors need " + expectedBegin + " data bytes but the file has " + dataLen
                + (expectedBegin > dataLen ? " (truncated)" : ""));
      }
      Map<String, Tensor> out = new LinkedHashMap<>();
      for (Entry en : entries) {
        // read straight into memory that libtorch allocated: no Java direct buffer, so no model size is capped by
        // the JVM's direct-memory limit (which follows -Xmx)
        Tensor array = Torch.empty(en.dtype, en.shape);
        if (en.end > en.begin) {
          ByteBuffer memory = bytes(array);
          readFully(ch, memory, dataStart + en.begin);
          if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) {
            swapInPlace(memory.clear(), width(en.dtype));
          }
        }
        out.put(en.name, Torch.to(array, device));
      }
      return out;
    } catch (NoSuchFileException e) {
      throw new JbertException("no such file: " + file + "; check the path");
    } catch (IOException e) {
      throw new JbertException("cannot read " + file + ": " + e.getMessage(), e);
    }
  }

  /** The tensor names of a file, read from its header alone. */
  public static java.util.Set<String> names(Path file) {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      java.util.Set<String> names = new java.util.LinkedHashSet<>();
      readHeader(ch, file).json().fieldNames().forEachRemaining(names::add);
      names.remove("__metadata__");
      return names;
    } catch (NoSuchFileException e) {
      throw new JbertException("no such file: " + file + "; check the path");
    } catch (IOException e) {
      throw new JbertException("cannot read " + file + ": " + e.getMessage(), e);
    }
  }

  /** The {@code __metadata__} string map of a file (empty when it has none). */
  public static Map<String, String> readMetadata(Path file) {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      Map<String, String> meta = new LinkedHashMap<>();
      JsonNode node = readHeader(ch, file).json().get("__metadata__");
      if (node != null) {
        node.fields().forEachRemaining(m -> meta.put(m.getKey(), m.getValue().asText()));
      }
      return meta;
    } catch (NoSuchFileException e) {
      throw new JbertException("no such file: " + file + "; check the path");
    } catch (IOException e) {
      throw new JbertException("cannot read " + file + ": " + e.getMessage(), e);
    }
  }

  /** The parsed JSON header and its length in bytes (the data starts at 8 + length). */
  private record Header(JsonNode json, long length) {}

  private static Header readHeader(FileChannel ch, Path file) throws IOException {
    long size = ch.size();
    if (size < 8) {
      throw corrupt(file, "it has " + size + " bytes, fewer than the 8-byte header length");
    }
    ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
    readFully(ch, lenBuf, 0);
    long headerLen = lenBuf.flip().getLong();
    if (headerLen < 2 || headerLen > MAX_HEADER || headerLen > size - 8) {
      throw corrupt(file, "header length " + headerLen + " does not fit a file of " + size + " bytes");
    }
    ByteBuffer headBuf = ByteBuffer.allocate((int) headerLen);
    readFully(ch, headBuf, 8);
    JsonNode header;
    try {
      header = JSON.readTree(new String(headBuf.array(), StandardCharsets.UTF_8).stripTrailing());
    } catch (JsonProcessingException e) {
      throw corrupt(file, "the header is not valid JSON (" + e.getOriginalMessage() + ")");
    }
    if (header == null || !header.isObject()) {
      throw corrupt(file, "the header is not a JSON object");
    }
    return new Header(header, headerLen);
  }

  private record Entry(String name, ScalarType dtype, long[] shape, long begin, long end) {}

  private static List<Entry> parseEntries(Path file, JsonNode header) {
    List<Entry> entries = new ArrayList<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = header.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> f = it.next();
      String name = f.getKey();
      JsonNode node = f.getValue();
      if (name.equals("__metadata__")) {
        if (!node.isObject()) {
          throw corrupt(file, "__metadata__ is not a string map");
        }
        node.fields().forEachRemaining(m -> {
          if (!m.getValue().isTextual()) {
            throw corrupt(file, "__metadata__ value of " + m.getKey() + " is not a string");
          }
        });
        continue;
      }
      JsonNode dtypeNode = node.get("dtype");
      JsonNode shapeNode = node.get("shape");
      JsonNode offsets = node.get("data_offsets");
      if (dtypeNode == null || !dtypeNode.isTextual() || shapeNode == null || !shapeNode.isArray()
          || offsets == null || !offsets.isArray() || offsets.size() != 2) {
        throw corrupt(file, "tensor " + name + " lacks a valid dtype, shape or data_offsets");
      }
      ScalarType dtype = dtype(file, name, dtypeNode.asText());
      long[] dims = new long[shapeNode.size()];
      for (int i = 0; i < dims.length; i++) {
        JsonNode d = shapeNode.get(i);
        if (!d.isIntegralNumber() || d.asLong() < 0) {
          throw corrupt(file, "tensor " + name + " has an invalid shape " + shapeNode);
        }
        dims[i] = d.asLong();
      }
      long[] shape = dims;
      long elements = 1;
      for (long d : dims) {
        elements = Math.multiplyExact(elements, d);
      }
      if (!offsets.get(0).isIntegralNumber() || !offsets.get(1).isIntegralNumber()) {
        throw corrupt(file, "tensor " + name + " has invalid data_offsets " + offsets);
      }
      long begin = offsets.get(0).asLong();
      long end = offsets.get(1).asLong();
      long bytes = elements * width(dtype);
      if (begin < 0 || end - begin != bytes) {
        throw corrupt(
            file,
            "tensor " + name + " has data_offsets " + offsets + " but " + dtypeNode.asText() + " " + Torch.shapeText(shape)
                + " needs " + bytes + " bytes");
      }
      entries.add(new Entry(name, dtype, shape, begin, end));
    }
    return entries;
  }

  private static JbertException corrupt(Path file, String why) {
    return new JbertException(file + " is not a valid safetensors file: " + why + "; save or download it again");
  }

  private static String code(ScalarType dtype, String name) {
    return switch (dtype) {
      case Double -> "F64";
      case Float -> "F32";
      case Half -> "F16";
      case BFloat16 -> "BF16";
      case Long -> "I64";
      case Int -> "I32";
      case Char -> "I8";
      case Byte -> "U8";
      case Bool -> "BOOL";
      default -> throw new JbertException(
          "tensor " + name + " has dtype " + dtype + ", which jbert cannot store in safetensors");
    };
  }

  private static ScalarType dtype(Path file, String name, String code) {
    return switch (code) {
      case "F64" -> ScalarType.Double;
      case "F32" -> ScalarType.Float;
      case "F16" -> ScalarType.Half;
      case "BF16" -> ScalarType.BFloat16;
      case "I64" -> ScalarType.Long;
      case "I32" -> ScalarType.Int;
      case "I8" -> ScalarType.Char;
      case "U8" -> ScalarType.Byte;
      case "BOOL" -> ScalarType.Bool;
      default -> throw new JbertException(
          file + ": tensor " + name + " has dtype " + code
              + ", which jbert cannot read (use F32, F64, F16, BF16, I64, I32, I8, U8 or BOOL)");
    };
  }

  /** Bytes per element. */
  private static int width(ScalarType dtype) {
    return switch (dtype) {
      case Double, Long -> 8;
      case Float, Int -> 4;
      case Half, BFloat16 -> 2;
      default -> 1;
    };
  }

  /** The memory of a contiguous CPU tensor, as a buffer over it (no copy). */
  private static ByteBuffer bytes(Tensor t) {
    long n = t.numel() * width(Torch.dtype(t));
    return new BytePointer(t.data_ptr()).capacity(n).asByteBuffer();
  }

  /**
   * The tensor's bytes, little-endian: its own memory when it is a contiguous CPU tensor (no copy, nothing on the Java
   * side), else a contiguous CPU copy in the caller's scope.
   */
  private static ByteBuffer littleEndianBytes(Tensor a) {
    if (a.numel() == 0) {
      return ByteBuffer.allocate(0);
    }
    Tensor host = Torch.to(a, "cpu").contiguous(); // itself when it is a contiguous CPU tensor already
    ByteBuffer src = bytes(host).order(ByteOrder.nativeOrder());
    int width = width(Torch.dtype(a));
    if (ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN || width == 1) {
      return src;
    }
    ByteBuffer copy = ByteBuffer.allocate(src.remaining()).put(src).flip();
    swapInPlace(copy, width);
    return copy;
  }

  private static void swapInPlace(ByteBuffer buf, int width) {
    for (int at = 0; at + width <= buf.limit(); at += width) {
      for (int i = 0, j = width - 1; i < j; i++, j--) {
        byte t = buf.get(at + i);
        buf.put(at + i, buf.get(at + j));
        buf.put(at + j, t);
      }
    }
  }

  private static void writeFully(WritableByteChannel ch, ByteBuffer buf) throws IOException {
    while (buf.hasRemaining()) {
      ch.write(buf);
    }
  }

  private static void readFully(FileChannel ch, ByteBuffer buf, long position) throws IOException {
    long pos = position;
    while (buf.hasRemaining()) {
      int n = ch.read(buf, pos);
      if (n < 0) {
        throw new IOException("unexpected end of file");
      }
      pos += n;
    }
  }
}

package dev.jbert.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.jbert.JbertException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafeTensorsTest {
  static NDManager manager;

  @TempDir Path dir;

  @BeforeAll
  static void open() {
    manager = NDManager.newBaseManager();
  }

  @AfterAll
  static void close() {
    manager.close();
  }

  @Test
  void roundTripIsBitExactForEveryDtype() {
    try (NDManager m = manager.newSubManager()) {
      Map<String, NDArray> tensors = new LinkedHashMap<>();
      tensors.put("w", m.randomNormal(new Shape(3, 5), DataType.FLOAT32));
      tensors.put("f64", m.randomNormal(new Shape(4), DataType.FLOAT64));
      tensors.put("f16", m.create(new float[] {1.5f, -2f, 65504f}).toType(DataType.FLOAT16, false));
      tensors.put("ids", m.create(new long[] {Long.MIN_VALUE, -1, 0, 1, Long.MAX_VALUE}));
      tensors.put("i32", m.create(new int[][] {{1, -2}, {3, Integer.MAX_VALUE}}));
      tensors.put("u8", m.create(new byte[] {0, 1, (byte) 255}).toType(DataType.UINT8, false));
      tensors.put("scalar", m.create(3.25f));
      tensors.put("empty", m.zeros(new Shape(0, 4)));
      tensors.put("transposed", m.arange(6f).reshape(2, 3).transpose());
      Path file = dir.resolve("t.safetensors");
      SafeTensors.write(file, tensors, Map.of("format", "pt"));
      Map<String, NDArray> back = SafeTensors.read(file, m);
      assertThat(back.keySet()).containsExactlyInAnyOrderElementsOf(tensors.keySet());
      for (Map.Entry<String, NDArray> e : tensors.entrySet()) {
        NDArray b = back.get(e.getKey());
        assertThat(b.getShape()).as(e.getKey()).isEqualTo(e.getValue().getShape());
        assertThat(b.getDataType()).as(e.getKey()).isEqualTo(e.getValue().getDataType());
        assertThat(bytes(b)).as(e.getKey()).isEqualTo(bytes(e.getValue()));
        assertThat(b.getManager()).isSameAs(m);
      }
      assertThat(back.get("transposed").toFloatArray()).containsExactly(0, 3, 1, 4, 2, 5);
      assertThat(dir.toFile().list()).containsExactly("t.safetensors"); // no temp file left behind
    }
  }

  @Test
  void headerFollowsTheStandardLayout() throws IOException {
    try (NDManager m = manager.newSubManager()) {
      Map<String, NDArray> tensors = new LinkedHashMap<>();
      tensors.put("b", m.create(new long[] {7, -1}));
      tensors.put("a", m.create(new float[][] {{1f, 2f}}));
      Path file = dir.resolve("layout.safetensors");
      SafeTensors.write(file, tensors, Map.of("format", "pt"));
      byte[] raw = Files.readAllBytes(file);
      ByteBuffer buf = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
      long n = buf.getLong();
      assertThat(n % 8).isZero();
      String header = new String(raw, 8, (int) n, StandardCharsets.UTF_8);
      String json =
          "{\"__metadata__\":{\"format\":\"pt\"},"
              + "\"a\":{\"dtype\":\"F32\",\"shape\":[1,2],\"data_offsets\":[0,8]},"
              + "\"b\":{\"dtype\":\"I64\",\"shape\":[2],\"data_offsets\":[8,24]}}";
      assertThat(header.stripTrailing()).isEqualTo(json);
      assertThat(header.substring(json.length())).matches(" *");
      assertThat(raw).hasSize(8 + (int) n + 24);
      buf.position(8 + (int) n);
      assertThat(buf.getFloat()).isEqualTo(1f);
      assertThat(buf.getFloat()).isEqualTo(2f);
      assertThat(buf.getLong()).isEqualTo(7L);
      assertThat(buf.getLong()).isEqualTo(-1L);
    }
  }

  @Test
  void readsAHandWrittenFileInDataOrder() throws IOException {
    String json = "{\"y\":{\"dtype\":\"I32\",\"shape\":[1],\"data_offsets\":[0,4]},"
        + "\"x\":{\"dtype\":\"F64\",\"shape\":[],\"data_offsets\":[4,12]}}";
    ByteBuffer buf = ByteBuffer.allocate(8 + json.length() + 12).order(ByteOrder.LITTLE_ENDIAN);
    buf.putLong(json.length()).put(json.getBytes(StandardCharsets.UTF_8)).putInt(-5).putDouble(0.125);
    Path file = dir.resolve("hand.safetensors");
    Files.write(file, buf.array());
    try (NDManager m = manager.newSubManager()) {
      Map<String, NDArray> back = SafeTensors.read(file, m);
      assertThat(back.keySet()).containsExactly("y", "x");
      assertThat(back.get("y").toIntArray()).containsExactly(-5);
      assertThat(back.get("x").getShape()).isEqualTo(new Shape());
      assertThat(back.get("x").getDouble()).isEqualTo(0.125);
    }
  }

  @Test
  void truncatedCorruptAndUnknownFilesNameTheFileAndTheProblem() throws IOException {
    try (NDManager m = manager.newSubManager()) {
      Path good = dir.resolve("good.safetensors");
      SafeTensors.write(good, Map.of("a", m.create(new float[] {1, 2, 3})), Map.of());
      byte[] raw = Files.readAllBytes(good);

      Path truncated = dir.resolve("truncated.safetensors");
      Files.write(truncated, Arrays.copyOf(raw, raw.length - 4));
      assertThatThrownBy(() -> SafeTensors.read(truncated, m))
          .isInstanceOf(JbertException.class)
          .hasMessage(truncated + " is not a valid safetensors file: the tensors need 12 data bytes but the file has 8"
              + " (truncated); save or download it again");

      Path tiny = dir.resolve("tiny.safetensors");
      Files.write(tiny, new byte[] {1, 2, 3});
      assertThatThrownBy(() -> SafeTensors.read(tiny, m))
          .hasMessageContaining("tiny.safetensors is not a valid safetensors file: it has 3 bytes");

      Path hugeHeader = dir.resolve("huge.safetensors");
      byte[] bad = raw.clone();
      bad[5] = 1;
      Files.write(hugeHeader, bad);
      assertThatThrownBy(() -> SafeTensors.read(hugeHeader, m)).hasMessageContaining("header length");

      Path garbage = dir.resolve("garbage.safetensors");
      byte[] junk = raw.clone();
      junk[8] = 'x';
      Files.write(garbage, junk);
      assertThatThrownBy(() -> SafeTensors.read(garbage, m)).hasMessageContaining("header is not valid JSON");

      Path bf16 = dir.resolve("bf16.safetensors");
      String json = "{\"a\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[0,4]}}";
      ByteBuffer file = ByteBuffer.allocate(8 + json.length() + 4).order(ByteOrder.LITTLE_ENDIAN);
      file.putLong(json.length()).put(json.getBytes(StandardCharsets.UTF_8));
      Files.write(bf16, file.array());
      assertThatThrownBy(() -> SafeTensors.read(bf16, m))
          .isInstanceOf(JbertException.class)
          .hasMessage(bf16 + ": tensor a has dtype BF16, which jbert cannot read"
              + " (use F32, F64, F16, I64, I32, I8, U8 or BOOL)");

      Path wrongOffsets = dir.resolve("offsets.safetensors");
      Files.write(wrongOffsets, new String(raw, StandardCharsets.ISO_8859_1).replace("[0,12]", "[0,16]")
          .getBytes(StandardCharsets.ISO_8859_1));
      assertThatThrownBy(() -> SafeTensors.read(wrongOffsets, m))
          .hasMessageContaining("tensor a has data_offsets [0,16] but F32 (3) needs 12 bytes");

      assertThatThrownBy(() -> SafeTensors.read(dir.resolve("absent.safetensors"), m))
          .isInstanceOf(JbertException.class)
          .hasMessageStartingWith("no such file: ");
    }
  }

  private static byte[] bytes(NDArray a) {
    ByteBuffer b = a.toByteBuffer();
    byte[] out = new byte[b.remaining()];
    b.get(out);
    return out;
  }
}

package dev.jbert.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jbert.JbertException;
import dev.jbert.Torch;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafeTensorsTest {
  @TempDir Path dir;

  @Test
  void roundTripIsBitExactForEveryDtype() {
    Map<String, Tensor> back;
    try (PointerScope scope = new PointerScope()) {
      Random random = new Random(5);
      Map<String, Tensor> tensors = new LinkedHashMap<>();
      tensors.put("w", Torch.floats(floats(random, 15), 3, 5));
      tensors.put("f64", Torch.doubles(random.doubles(4).map(v -> v * 2 - 1).toArray()));
      tensors.put("f16", Torch.floats(new float[] {1.5f, -2f, 65504f}).to(ScalarType.Half));
      tensors.put("bf16", Torch.floats(new float[] {1.5f, -2f, 3.3895314e38f, 1e-3f}).to(ScalarType.BFloat16));
      tensors.put("ids", Torch.longs(new long[] {Long.MIN_VALUE, -1, 0, 1, Long.MAX_VALUE}));
      tensors.put("i32", Tensor.create(new int[] {1, -2, 3, Integer.MAX_VALUE}, 2, 2));
      tensors.put("i8", Tensor.create(new byte[] {-128, 0, 127}, true, 3));
      tensors.put("u8", Tensor.create(new byte[] {0, 1, (byte) 255}, false, 3));
      tensors.put("bool", Tensor.create(new boolean[] {true, false, true}, 3));
      tensors.put("scalar", Torch.floats(new float[] {3.25f}).reshape());
      tensors.put("empty", Torch.zeros(ScalarType.Float, "cpu", 0, 4));
      tensors.put("transposed", torch.arange(Torch.scalar(6)).to(ScalarType.Float).reshape(2, 3).transpose(0, 1));
      Path file = dir.resolve("t.safetensors");
      SafeTensors.write(file, tensors, Map.of("format", "pt"));
      back = SafeTensors.read(file, "cpu");
      assertThat(back.keySet()).containsExactlyInAnyOrderElementsOf(tensors.keySet());
      for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
        Tensor b = back.get(e.getKey());
        assertThat(Torch.shape(b)).as(e.getKey()).containsExactly(Torch.shape(e.getValue()));
        assertThat(Torch.dtype(b)).as(e.getKey()).isEqualTo(Torch.dtype(e.getValue()));
        assertThat(bytes(b)).as(e.getKey()).isEqualTo(bytes(e.getValue()));
      }
      assertThat(Torch.dtype(back.get("u8"))).isEqualTo(ScalarType.Byte);
      assertThat(Torch.toLongs(back.get("u8"))).containsExactly(0, 1, 255);
      assertThat(Torch.toFloats(back.get("transposed"))).containsExactly(0, 3, 1, 4, 2, 5);
      assertThat(dir.toFile().list()).containsExactly("t.safetensors"); // no temp file left behind
    }
    // what read returns belongs to the caller's scope: freed with it
    assertThat(back.values()).allMatch(t -> t.isNull());
  }

  @Test
  void headerFollowsTheStandardLayout() throws IOException {
    try (PointerScope scope = new PointerScope()) {
      Map<String, Tensor> tensors = new LinkedHashMap<>();
      tensors.put("b", Torch.longs(new long[] {7, -1}));
      tensors.put("a", Torch.floats(new float[] {1f, 2f}, 1, 2));
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
    try (PointerScope scope = new PointerScope()) {
      Map<String, Tensor> back = SafeTensors.read(file, "cpu");
      assertThat(back.keySet()).containsExactly("y", "x");
      assertThat(Torch.dtype(back.get("y"))).isEqualTo(ScalarType.Int);
      assertThat(Torch.toLongs(back.get("y"))).containsExactly(-5);
      assertThat(Torch.dtype(back.get("x"))).isEqualTo(ScalarType.Double);
      assertThat(Torch.shape(back.get("x"))).isEmpty();
      assertThat(back.get("x").item_double()).isEqualTo(0.125);
    }
  }

  @Test
  void truncatedCorruptAndUnknownFilesNameTheFileAndTheProblem() throws IOException {
    try (PointerScope scope = new PointerScope()) {
      Path good = dir.resolve("good.safetensors");
      SafeTensors.write(good, Map.of("a", Torch.floats(new float[] {1, 2, 3})), Map.of());
      byte[] raw = Files.readAllBytes(good);

      Path truncated = dir.resolve("truncated.safetensors");
      Files.write(truncated, Arrays.copyOf(raw, raw.length - 4));
      assertThatThrownBy(() -> SafeTensors.read(truncated, "cpu"))
          .isInstanceOf(JbertException.class)
          .hasMessage(truncated + " is not a valid safetensors file: the tensors need 12 data bytes but the file has 8"
              + " (truncated); save or download it again");

      Path tiny = dir.resolve("tiny.safetensors");
      Files.write(tiny, new byte[] {1, 2, 3});
      assertThatThrownBy(() -> SafeTensors.read(tiny, "cpu"))
          .hasMessageContaining("tiny.safetensors is not a valid safetensors file: it has 3 bytes");

      Path hugeHeader = dir.resolve("huge.safetensors");
      byte[] bad = raw.clone();
      bad[5] = 1;
      Files.write(hugeHeader, bad);
      assertThatThrownBy(() -> SafeTensors.read(hugeHeader, "cpu")).hasMessageContaining("header length");

      Path garbage = dir.resolve("garbage.safetensors");
      byte[] junk = raw.clone();
      junk[8] = 'x';
      Files.write(garbage, junk);
      assertThatThrownBy(() -> SafeTensors.read(garbage, "cpu")).hasMessageContaining("header is not valid JSON");

      Path fp8 = dir.resolve("fp8.safetensors");
      String json = "{\"a\":{\"dtype\":\"F8_E5M2\",\"shape\":[4],\"data_offsets\":[0,4]}}";
      ByteBuffer file = ByteBuffer.allocate(8 + json.length() + 4).order(ByteOrder.LITTLE_ENDIAN);
      file.putLong(json.length()).put(json.getBytes(StandardCharsets.UTF_8));
      Files.write(fp8, file.array());
      assertThatThrownBy(() -> SafeTensors.read(fp8, "cpu"))
          .isInstanceOf(JbertException.class)
          .hasMessage(fp8 + ": tensor a has dtype F8_E5M2, which jbert cannot read"
              + " (use F32, F64, F16, BF16, I64, I32, I8, U8 or BOOL)");

      Path wrongOffsets = dir.resolve("offsets.safetensors");
      Files.write(wrongOffsets, new String(raw, StandardCharsets.ISO_8859_1).replace("[0,12]", "[0,16]")
          .getBytes(StandardCharsets.ISO_8859_1));
      assertThatThrownBy(() -> SafeTensors.read(wrongOffsets, "cpu"))
          .hasMessageContaining("tensor a has data_offsets [0,16] but F32 (3) needs 12 bytes");

      assertThatThrownBy(() -> SafeTensors.read(dir.resolve("absent.safetensors"), "cpu"))
          .isInstanceOf(JbertException.class)
          .hasMessageStartingWith("no such file: ");
    }
  }

  /** The elements' bytes in row-major order, in the machine's byte order. */
  private static byte[] bytes(Tensor a) {
    Tensor c = a.contiguous();
    byte[] out = new byte[Math.toIntExact(c.numel() * c.element_size())];
    if (out.length > 0) {
      try (BytePointer memory = new BytePointer(c.data_ptr())) {
        memory.get(out);
      }
    }
    return out;
  }

  private static float[] floats(Random random, int n) {
    float[] out = new float[n];
    for (int i = 0; i < n; i++) {
      out[i] = (float) random.nextGaussian();
    }
    return out;
  }
}

package dev.jbert.data;

import java.util.Arrays;

/**
 * Distinct tokens numbered in order of insertion, looked up by a range of a char array (an open-addressing hash
 * table), so tokenizing 2 million words allocates one String per distinct word only.
 */
final class TokenTable {
  private char[][] slots;
  private int[] slotIds;
  private String[] tokens;
  private int size;
  private int shift; // 32 - log2(slots.length)

  TokenTable(int expected) {
    int capacity = Integer.highestOneBit(Math.max(16, expected * 2) - 1) << 1;
    slots = new char[capacity][];
    shift = Integer.numberOfLeadingZeros(capacity) + 1;
    slotIds = new int[capacity];
    tokens = new String[Math.max(16, expected)];
  }

  int size() {
    return size;
  }

  String token(int id) {
    return tokens[id];
  }

  /** The id of {@code chars[from, to)}, inserting it when new. */
  int idOf(char[] chars, int from, int to) {
    int h = 0;
    for (int i = from; i < to; i++) {
      h = 31 * h + chars[i];
    }
    return idOf(chars, from, to, h);
  }

  /** The id of {@code chars[from, to)} whose String hash code is {@code h}, inserting it when new. */
  int idOf(char[] chars, int from, int to, int h) {
    int mask = slots.length - 1;
    int len = to - from;
    for (int slot = spread(h, shift); ; slot = (slot + 1) & mask) {
      char[] key = slots[slot];
      if (key == null) {
        return insert(slot, Arrays.copyOfRange(chars, from, to));
      }
      if (key.length == len && same(key, chars, from)) {
        return slotIds[slot];
      }
    }
  }

  private static boolean same(char[] key, char[] chars, int from) {
    for (int i = 0; i < key.length; i++) {
      if (key[i] != chars[from + i]) {
        return false;
      }
    }
    return true;
  }

  /** The id of {@code token}, inserting it when new. */
  int idOf(String token) {
    return idOf(token.toCharArray(), 0, token.length());
  }

  private int insert(int slot, char[] key) {
    if (size == tokens.length) {
      tokens = Arrays.copyOf(tokens, size * 2);
    }
    slots[slot] = key;
    slotIds[slot] = size;
    tokens[size] = new String(key);
    size++;
    if (size * 2 > slots.length) {
      rehash();
    }
    return size - 1;
  }

  private void rehash() {
    char[][] oldSlots = slots;
    int[] oldIds = slotIds;
    slots = new char[oldSlots.length * 2][];
    shift--;
    slotIds = new int[slots.length];
    int mask = slots.length - 1;
    for (int i = 0; i < oldSlots.length; i++) {
      if (oldSlots[i] != null) {
        int h = 0;
        for (char c : oldSlots[i]) {
          h = 31 * h + c;
        }
        int slot = spread(h, shift);
        while (slots[slot] != null) {
          slot = (slot + 1) & mask;
        }
        slots[slot] = oldSlots[i];
        slotIds[slot] = oldIds[i];
      }
    }
  }

  /** Fibonacci hashing: the top bits of h times 2^32 / golden ratio. */
  private static int spread(int h, int shift) {
    return (h * 0x9e3779b9) >>> shift;
  }
}

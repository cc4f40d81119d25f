package dev.jbert.data.wordpiece;

import java.util.Arrays;

/**
 * Strings to ids, looked up by a range of a char array and its {@link String#hashCode} (open addressing, linear
 * probing), so that the WordPiece loop tries a candidate piece without building a String. Filled once, then read-only.
 */
final class TokenIndex {
  private final char[][] keys;
  private final int[] hashes;
  private final int[] ids;
  private final int mask;
  private int maxLength;

  TokenIndex(int expected) {
    int capacity = Integer.highestOneBit(Math.max(16, expected * 2) - 1) << 1; // load factor <= 1/2
    keys = new char[capacity][];
    hashes = new int[capacity];
    ids = new int[capacity];
    mask = capacity - 1;
  }

  /** Maps {@code key} to {@code id}; a key already present takes the new id. */
  void put(String key, int id) {
    char[] chars = key.toCharArray();
    int hash = key.hashCode();
    for (int slot = slot(hash); ; slot = (slot + 1) & mask) {
      if (keys[slot] == null) {
        keys[slot] = chars;
        hashes[slot] = hash;
        ids[slot] = id;
        maxLength = Math.max(maxLength, chars.length);
        return;
      }
      if (hashes[slot] == hash && Arrays.equals(keys[slot], chars)) {
        ids[slot] = id;
        return;
      }
    }
  }

  /** The id of {@code chars[from, to)}, whose String hash code is {@code hash}; -1 when absent. */
  int get(char[] chars, int from, int to, int hash) {
    int len = to - from;
    for (int slot = slot(hash); ; slot = (slot + 1) & mask) {
      char[] key = keys[slot];
      if (key == null) {
        return -1;
      }
      if (hashes[slot] == hash && key.length == len && same(key, chars, from)) {
        return ids[slot];
      }
    }
  }

  /** A plain loop: keys are short, where {@link Arrays#equals} spends its time setting up. */
  private static boolean same(char[] key, char[] chars, int from) {
    for (int i = 0; i < key.length; i++) {
      if (key[i] != chars[from + i]) {
        return false;
      }
    }
    return true;
  }

  /** The longest key, in chars. */
  int maxLength() {
    return maxLength;
  }

  private int slot(int hash) {
    int h = hash * 0x9E3779B9;
    return (h ^ (h >>> 16)) & mask;
  }
}

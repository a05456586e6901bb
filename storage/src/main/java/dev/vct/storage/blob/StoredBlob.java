package dev.vct.storage.blob;

/**
 * What a put stored.
 *
 * @param key the blob's key
 * @param size its length in bytes
 * @param sha256 lower-case hex SHA-256 of its bytes, computed while storing
 */
public record StoredBlob(String key, long size, String sha256) {}

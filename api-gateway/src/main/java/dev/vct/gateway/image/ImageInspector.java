package dev.vct.gateway.image;

import dev.vct.gateway.error.ErrorCode;
import dev.vct.inputs.image.ImageFiles;
import dev.vct.inputs.image.ImageHeader;
import dev.vct.inputs.image.ImageLimits;
import dev.vct.inputs.image.ImageProblem;
import dev.vct.inputs.image.ImageReadException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Decides whether uploaded bytes are an image the pipeline can use, with the worker's own reader
 * ({@link ImageFiles}) and in an order that never spends memory on a hostile file: byte size, then
 * everything the header tells (format, size, encoding, decoded bytes, PNG chunk CRCs), and only
 * then a full decode, inside the {@link DecodeBudget}. An image it accepts is one the worker reads.
 */
public final class ImageInspector {
  private final long maxBytes;
  private final ImageLimits limits;
  private final DecodeBudget budget;

  public ImageInspector(long maxBytes, ImageLimits limits, DecodeBudget budget) {
    if (maxBytes <= 0) {
      throw new IllegalArgumentException("max-bytes must be positive, got " + maxBytes);
    }
    if (limits.maxDecodedBytes() > budget.capacityBytes()) {
      throw new IllegalArgumentException(
          "max-decoded-bytes ("
              + limits.maxDecodedBytes()
              + ") must not exceed the decode budget ("
              + budget.capacityBytes()
              + ")");
    }
    this.maxBytes = maxBytes;
    this.limits = limits;
    this.budget = budget;
  }

  public long maxBytes() {
    return maxBytes;
  }

  public DecodeBudget budget() {
    return budget;
  }

  /**
   * @param field the request field the image came in, named in every refusal
   * @throws ImageRejection with the specific {@link ErrorCode} of the first problem found
   */
  public InspectedImage inspect(String field, byte[] bytes) {
    if (bytes.length == 0) {
      throw new ImageRejection(ErrorCode.EMPTY_IMAGE, field, "is empty");
    }
    if (bytes.length > maxBytes) {
      throw new ImageRejection(
          ErrorCode.IMAGE_TOO_LARGE,
          field,
          "is " + bytes.length + " bytes; the limit is " + maxBytes + " bytes");
    }
    String name = ImageRejection.label(field);
    try {
      ImageHeader header = ImageFiles.inspect(bytes, name, limits);
      budget.run(header.decodedBytes(), () -> ImageFiles.decode(bytes, name, limits));
      return new InspectedImage(header, bytes, sha256(bytes));
    } catch (ImageReadException e) {
      throw new ImageRejection(code(e.problem()), e.getMessage());
    }
  }

  static ErrorCode code(ImageProblem problem) {
    return switch (problem) {
      case EMPTY -> ErrorCode.EMPTY_IMAGE;
      case NOT_PNG_OR_JPEG -> ErrorCode.UNSUPPORTED_IMAGE_FORMAT;
      case UNSUPPORTED_ENCODING -> ErrorCode.UNSUPPORTED_IMAGE_ENCODING;
      case TRUNCATED -> ErrorCode.TRUNCATED_IMAGE;
      case CORRUPT -> ErrorCode.CORRUPT_IMAGE;
      case TOO_LARGE -> ErrorCode.IMAGE_DIMENSIONS_TOO_LARGE;
      case UNREADABLE -> throw new IllegalStateException("uploads are bytes, never files");
    };
  }

  static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
  }
}

package dev.vct.gateway.error;

/**
 * Every refusal the gateway sends, with its HTTP status. The {@link #code()} strings are part of
 * the public API (docs/api-errors.md lists them): never rename one, only add.
 */
public enum ErrorCode {
  // 400: the request is malformed or a value is out of range.
  BAD_REQUEST(400, "bad_request"),
  EMPTY_BODY(400, "empty_body"),
  INVALID_JSON(400, "invalid_json"),
  INVALID_FIELD_TYPE(400, "invalid_field_type"),
  UNKNOWN_FIELD(400, "unknown_field"),
  MISSING_FIELD(400, "missing_field"),
  INVALID_PARAMETER(400, "invalid_parameter"),
  INVALID_MULTIPART(400, "invalid_multipart"),
  INVALID_BASE64(400, "invalid_base64"),
  EMPTY_IMAGE(400, "empty_image"),
  UNSUPPORTED_IMAGE_FORMAT(400, "unsupported_image_format"),
  UNSUPPORTED_IMAGE_ENCODING(400, "unsupported_image_encoding"),
  TRUNCATED_IMAGE(400, "truncated_image"),
  CORRUPT_IMAGE(400, "corrupt_image"),
  INVALID_IDEMPOTENCY_KEY(400, "invalid_idempotency_key"),
  INVALID_WEBHOOK(400, "invalid_webhook"),
  INVALID_QUERY_PARAMETER(400, "invalid_query_parameter"),
  INVALID_CURSOR(400, "invalid_cursor"),
  INVALID_LAST_EVENT_ID(400, "invalid_last_event_id"),
  // 401 / 403: who is calling.
  MISSING_API_KEY(401, "missing_api_key"),
  INVALID_API_KEY(401, "invalid_api_key"),
  ADMIN_REQUIRED(403, "admin_required"),
  // 404 / 405 / 406 / 415: routing and content negotiation.
  NOT_FOUND(404, "not_found"),
  TRANSLATION_NOT_FOUND(404, "translation_not_found"),
  TENANT_NOT_FOUND(404, "tenant_not_found"),
  METHOD_NOT_ALLOWED(405, "method_not_allowed"),
  NOT_ACCEPTABLE(406, "not_acceptable"),
  UNSUPPORTED_MEDIA_TYPE(415, "unsupported_media_type"),
  // 409: the request conflicts with what is stored.
  IDEMPOTENCY_KEY_REUSED(409, "idempotency_key_reused"),
  TRANSLATION_FINISHED(409, "translation_finished"),
  RESULT_NOT_READY(409, "result_not_ready"),
  TENANT_EXISTS(409, "tenant_exists"),
  // 413 / 414 / 422: the input is too big.
  REQUEST_TOO_LARGE(413, "request_too_large"),
  IMAGE_TOO_LARGE(413, "image_too_large"),
  URI_TOO_LONG(414, "uri_too_long"),
  IMAGE_DIMENSIONS_TOO_LARGE(422, "image_dimensions_too_large"),
  // 429: limits.
  RATE_LIMITED(429, "rate_limited"),
  CONCURRENT_JOB_LIMIT(429, "concurrent_job_limit"),
  TOO_MANY_STREAMS(429, "too_many_streams"),
  // 5xx: our fault or a dependency's.
  INTERNAL_ERROR(500, "internal_error"),
  RESULT_UNAVAILABLE(503, "result_unavailable"),
  SERVER_BUSY(503, "server_busy");

  private final int status;
  private final String code;

  ErrorCode(int status, String code) {
    this.status = status;
    this.code = code;
  }

  public int status() {
    return status;
  }

  public String code() {
    return code;
  }
}

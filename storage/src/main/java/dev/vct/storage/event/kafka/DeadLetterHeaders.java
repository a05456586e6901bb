package dev.vct.storage.event.kafka;

import java.nio.charset.StandardCharsets;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * The headers every service puts on a record it moves to {@code vct.dead-letter}: the original
 * record's headers, then why ({@value #REASON}, {@value #CAUSE}) and where it came from ({@value
 * #TOPIC}, {@value #PARTITION}, {@value #OFFSET}).
 */
public final class DeadLetterHeaders {
  public static final String REASON = "dead-letter-reason";
  public static final String CAUSE = "dead-letter-cause";
  public static final String TOPIC = "dead-letter-topic";
  public static final String PARTITION = "dead-letter-partition";
  public static final String OFFSET = "dead-letter-offset";

  private DeadLetterHeaders() {}

  /** The dead-letter copy's headers for {@code record}, refused because of {@code reason}. */
  public static Headers of(ConsumerRecord<?, ?> record, Throwable reason) {
    Headers headers = new RecordHeaders(record.headers().toArray());
    put(headers, REASON, String.valueOf(reason.getMessage()));
    put(headers, CAUSE, reason.getClass().getName());
    put(headers, TOPIC, record.topic());
    put(headers, PARTITION, Integer.toString(record.partition()));
    put(headers, OFFSET, Long.toString(record.offset()));
    return headers;
  }

  /** {@code topic-partition@offset}, for messages about {@code record}. */
  public static String where(ConsumerRecord<?, ?> record) {
    return record.topic() + "-" + record.partition() + "@" + record.offset();
  }

  private static void put(Headers headers, String name, String value) {
    headers.remove(name);
    headers.add(name, value.getBytes(StandardCharsets.UTF_8));
  }
}

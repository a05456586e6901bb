package dev.vct.storage.persistence;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import io.quarkus.hibernate.orm.JsonFormat;
import io.quarkus.hibernate.orm.PersistenceUnitExtension;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import org.hibernate.type.descriptor.WrapperOptions;
import org.hibernate.type.descriptor.java.JavaType;
import org.hibernate.type.format.FormatMapper;
import org.hibernate.type.format.jackson.JacksonJsonFormatMapper;

/**
 * How jsonb columns (job parameters, scores) are written: with a mapper of their own, so that a
 * service customizing its REST ObjectMapper cannot change what is stored. Quarkus refuses to boot a
 * persistence unit with JSON columns and a customized REST mapper unless such a mapper exists.
 * Unknown properties are ignored, so rows written by a newer version still read.
 */
@JsonFormat
@PersistenceUnitExtension
@ApplicationScoped
public class JsonColumnFormat implements FormatMapper {

  private final FormatMapper delegate =
      new JacksonJsonFormatMapper(
          new ObjectMapper()
              .registerModule(new JavaTimeModule())
              .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
              .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES));

  @Override
  public <T> T fromString(CharSequence json, JavaType<T> type, WrapperOptions options) {
    return delegate.fromString(json, type, options);
  }

  @Override
  public <T> String toString(T value, JavaType<T> type, WrapperOptions options) {
    return delegate.toString(value, type, options);
  }

  @Override
  public boolean supportsSourceType(Class<?> sourceType) {
    return delegate.supportsSourceType(sourceType);
  }

  @Override
  public boolean supportsTargetType(Class<?> targetType) {
    return delegate.supportsTargetType(targetType);
  }

  @Override
  public <T> void writeToTarget(T value, JavaType<T> type, Object target, WrapperOptions options)
      throws IOException {
    delegate.writeToTarget(value, type, target, options);
  }

  @Override
  public <T> T readFromSource(JavaType<T> type, Object source, WrapperOptions options)
      throws IOException {
    return delegate.readFromSource(type, source, options);
  }
}

package dev.vct.deploy.k8s;

import io.smallrye.config.WithDefault;
import io.smallrye.config.WithName;
import io.smallrye.config.WithParentName;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.regex.Pattern;

/**
 * One property of a {@code @ConfigMapping} interface, named the way SmallRye Config names it
 * (kebab-case, {@code @WithName}, {@code @WithParentName}; {@code *} stands for a map key).
 *
 * @param name the full property name, for example {@code vct.worker.checkpoint.every}
 * @param required no default and not optional: the service does not start without it
 * @param defaultValue the {@code @WithDefault} value, or null
 */
record MappedProperty(String name, boolean required, String defaultValue) {

  /** The environment variable that sets this property (MicroProfile Config's mapping). */
  static String envName(String property) {
    return property.replaceAll("[^A-Za-z0-9]", "_").toUpperCase(java.util.Locale.ROOT);
  }

  /** Whether {@code env} sets this property (any map key where the name has {@code *}). */
  boolean setBy(String env) {
    return envPattern(name).matcher(env).matches();
  }

  /** A pattern of the environment variables of a property name with {@code *} map keys. */
  static Pattern envPattern(String property) {
    StringBuilder regex = new StringBuilder();
    String[] parts = property.split("\\*", -1);
    for (int i = 0; i < parts.length; i++) {
      if (i > 0) {
        regex.append("[A-Z0-9_]+");
      }
      regex.append(Pattern.quote(envName(parts[i])));
    }
    return Pattern.compile(regex.toString());
  }

  /** Every property of {@code mapping} under {@code prefix}. */
  static List<MappedProperty> of(Class<?> mapping, String prefix) {
    List<MappedProperty> out = new ArrayList<>();
    walk(mapping, prefix, out);
    return out;
  }

  private static void walk(Class<?> group, String prefix, List<MappedProperty> out) {
    for (Method method : group.getMethods()) {
      if (method.isDefault()
          || Modifier.isStatic(method.getModifiers())
          || method.getParameterCount() > 0
          || method.isSynthetic()) {
        continue;
      }
      String name = join(prefix, segment(method));
      WithDefault withDefault = method.getAnnotation(WithDefault.class);
      property(method.getGenericReturnType(), name, withDefault, false, out);
    }
  }

  private static void property(
      Type type, String name, WithDefault withDefault, boolean optional, List<MappedProperty> out) {
    Class<?> raw = rawType(type);
    if (raw == Optional.class) {
      property(typeArgument(type, 0), name, withDefault, true, out);
    } else if (raw == OptionalInt.class
        || raw == OptionalLong.class
        || raw == OptionalDouble.class) {
      out.add(new MappedProperty(name, false, null));
    } else if (Map.class.isAssignableFrom(raw)) {
      // Map entries are never required; a group value's properties repeat under each key.
      property(typeArgument(type, 1), name + ".*", null, true, out);
    } else if (Collection.class.isAssignableFrom(raw) && isGroup(rawType(typeArgument(type, 0)))) {
      walkOptional(rawType(typeArgument(type, 0)), name + "[*]", out);
    } else if (isGroup(raw)) {
      if (optional) {
        walkOptional(raw, name, out);
      } else {
        walk(raw, name, out);
      }
    } else {
      String value = withDefault == null ? null : withDefault.value();
      out.add(new MappedProperty(name, !optional && value == null, value));
    }
  }

  private static void walkOptional(Class<?> group, String prefix, List<MappedProperty> out) {
    List<MappedProperty> inner = new ArrayList<>();
    walk(group, prefix, inner);
    inner.forEach(p -> out.add(new MappedProperty(p.name(), false, p.defaultValue())));
  }

  private static boolean isGroup(Class<?> type) {
    return type.isInterface()
        && !type.getName().startsWith("java.")
        && !type.isAnnotation()
        && !type.isEnum();
  }

  private static String segment(Method method) {
    if (method.isAnnotationPresent(WithParentName.class)) {
      return "";
    }
    WithName withName = method.getAnnotation(WithName.class);
    return withName != null ? withName.value() : kebab(method.getName());
  }

  /** SmallRye's default naming: {@code sweepInterval} is {@code sweep-interval}. */
  static String kebab(String camel) {
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < camel.length(); i++) {
      char c = camel.charAt(i);
      if (Character.isUpperCase(c)) {
        if (i > 0) {
          out.append('-');
        }
        out.append(Character.toLowerCase(c));
      } else {
        out.append(c);
      }
    }
    return out.toString();
  }

  private static String join(String prefix, String segment) {
    if (segment.isEmpty()) {
      return prefix;
    }
    return prefix.isEmpty() ? segment : prefix + "." + segment;
  }

  private static Class<?> rawType(Type type) {
    if (type instanceof Class<?> c) {
      return c;
    }
    if (type instanceof ParameterizedType p) {
      return (Class<?>) p.getRawType();
    }
    return Object.class;
  }

  private static Type typeArgument(Type type, int index) {
    return type instanceof ParameterizedType p ? p.getActualTypeArguments()[index] : Object.class;
  }
}

package dev.vct.worker.run;

import dev.vct.worker.config.WorkerConfig;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.net.InetAddress;
import java.net.UnknownHostException;

/** This worker's name in events: {@code vct.worker.id}, else host name and process id. */
@ApplicationScoped
public class WorkerIdentity {
  @Inject WorkerConfig config;

  public String id() {
    return config.id().orElseGet(WorkerIdentity::hostAndPid);
  }

  private static String hostAndPid() {
    String host;
    try {
      host = InetAddress.getLocalHost().getHostName();
    } catch (UnknownHostException e) {
      host = "unknown-host";
    }
    return host + "-" + ProcessHandle.current().pid();
  }
}

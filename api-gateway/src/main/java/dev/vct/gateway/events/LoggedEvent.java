package dev.vct.gateway.events;

/** An entry of a job's event log: its per-job sequence number (the SSE id) and the event. */
public record LoggedEvent(long seq, JobEventView event) {}

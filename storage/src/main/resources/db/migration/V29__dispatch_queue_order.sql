-- A dispatch round reads a pool's queue without touching jobs: each stage run carries its job's
-- tenant, priority and creation time (none of them changes after the job is created), copied by
-- the database when the run is inserted. With a backlog of thousands of queued runs, a round used to
-- join, count and sort all of them (a scan of jobs, tens of ms on a loaded machine) to send a few;
-- now it visits each waiting tenant's first runs in an index kept in the tenant's order.
alter table stage_runs add column tenant_id uuid;
alter table stage_runs add column job_priority integer;
alter table stage_runs add column job_created_at timestamptz;
update stage_runs r
   set tenant_id = j.tenant_id, job_priority = j.priority, job_created_at = j.created_at
  from jobs j
 where j.id = r.job_id;

create function stage_runs_copy_job_order() returns trigger language plpgsql as $$
begin
    select j.tenant_id, j.priority, j.created_at
      into new.tenant_id, new.job_priority, new.job_created_at
      from jobs j
     where j.id = new.job_id;
    return new;
end
$$;
create trigger stage_runs_job_order before insert on stage_runs
    for each row execute function stage_runs_copy_job_order();

-- Per stage, each tenant's queued runs in the order it sends them
-- (dev.vct.storage.dispatch.DispatchQueue): the tenants waiting are found by skipping from one to
-- the next, and each one's first runs are read in order.
drop index stage_runs_queued_idx;
create index stage_runs_queued_idx on stage_runs
    (stage, tenant_id, job_priority desc, job_created_at, job_id) where status = 'queued';
drop index stage_runs_in_flight_idx;
create index stage_runs_in_flight_idx on stage_runs (stage, tenant_id)
    where status in ('dispatched', 'running');

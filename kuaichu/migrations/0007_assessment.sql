-- Assessment routing (issue 5): insurer outlets, the people who assess damage, tasks, offers, on-scene records.

CREATE TABLE insurer_outlets (
    id           text        PRIMARY KEY,
    insurer_code text        NOT NULL REFERENCES insurers (code),
    name         text        NOT NULL,
    lat          double precision NOT NULL,
    lon          double precision NOT NULL,
    updated_at   timestamptz NOT NULL DEFAULT now()
);

-- Adjusters (an insurer's) and rural coordinators (zones served) in one table: one capacity counter and one
-- key for tasks to point at. open_tasks counts offered, accepted and on-scene tasks; it is only ever raised
-- by a conditional UPDATE ... WHERE open_tasks < capacity, so concurrent routing cannot exceed capacity.
CREATE TABLE assessors (
    id           text        PRIMARY KEY,
    kind         text        NOT NULL CHECK (kind IN ('adjuster', 'coordinator')),
    staff_id     uuid        NOT NULL REFERENCES staff (id),
    insurer_code text        REFERENCES insurers (code),
    zones        text[]      NOT NULL DEFAULT '{}',
    name         text        NOT NULL,
    lat          double precision NOT NULL,
    lon          double precision NOT NULL,
    capacity     integer     NOT NULL CHECK (capacity >= 0),
    open_tasks   integer     NOT NULL DEFAULT 0 CHECK (open_tasks >= 0),
    active       boolean     NOT NULL DEFAULT true,
    updated_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT assessors_staff_key UNIQUE (staff_id),
    CONSTRAINT assessors_adjuster_has_insurer CHECK (kind <> 'adjuster' OR insurer_code IS NOT NULL)
);
CREATE INDEX assessors_insurer ON assessors (insurer_code) WHERE kind = 'adjuster';
CREATE INDEX assessors_zones ON assessors USING gin (zones) WHERE kind = 'coordinator';

-- One task per damaged vehicle of a settled report, for that vehicle's own compulsory insurer.
-- due_at is the next timer (offer SLA, ETA, or the next queue retry); `kuaichu worker` sweeps it.
CREATE TABLE assessment_tasks (
    id              uuid        PRIMARY KEY,
    report_id       uuid        NOT NULL REFERENCES reports (id),
    party_id        uuid        NOT NULL REFERENCES parties (id),
    vehicle_label   text        NOT NULL,
    insurer_code    text        NOT NULL REFERENCES insurers (code),
    zone_id         text        NOT NULL REFERENCES zones (id),
    zone_kind       text        NOT NULL CHECK (zone_kind IN ('urban', 'rural')),
    lat             double precision NOT NULL,
    lon             double precision NOT NULL,
    boundary_distance_m double precision,
    status          text        NOT NULL CHECK (status IN ('queued', 'offered', 'accepted', 'on_scene',
                                                           'completed', 'cancelled')),
    assignee_id     text        REFERENCES assessors (id),
    eta_at          timestamptz,
    due_at          timestamptz,
    flags           text[]      NOT NULL DEFAULT '{}',
    excluded        text[]      NOT NULL DEFAULT '{}',
    escalations     integer     NOT NULL DEFAULT 0,
    version         integer     NOT NULL DEFAULT 1,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT assessment_tasks_vehicle_key UNIQUE (report_id, party_id),
    CONSTRAINT assessment_tasks_assigned CHECK (status IN ('queued', 'cancelled', 'completed')
                                                OR assignee_id IS NOT NULL)
);
CREATE INDEX assessment_tasks_due ON assessment_tasks (due_at) WHERE due_at IS NOT NULL;
CREATE INDEX assessment_tasks_queued ON assessment_tasks (created_at) WHERE status = 'queued';
CREATE INDEX assessment_tasks_assignee ON assessment_tasks (assignee_id, status);
CREATE INDEX assessment_tasks_insurer ON assessment_tasks (insurer_code, created_at);
CREATE INDEX assessment_tasks_zone ON assessment_tasks (zone_id, created_at);

-- Every offer of a task to an assessor and how it ended.
CREATE TABLE assessment_offers (
    id           bigserial   PRIMARY KEY,
    task_id      uuid        NOT NULL REFERENCES assessment_tasks (id),
    assessor_id  text        NOT NULL REFERENCES assessors (id),
    distance_m   double precision NOT NULL,
    offered_at   timestamptz NOT NULL DEFAULT now(),
    respond_by   timestamptz NOT NULL,
    outcome      text        NOT NULL DEFAULT 'pending' CHECK (outcome IN (
                     'pending', 'accepted', 'declined', 'expired', 'eta_missed', 'completed')),
    eta_at       timestamptz,
    reason       text,
    closed_at    timestamptz
);
CREATE INDEX assessment_offers_task ON assessment_offers (task_id, id);
CREATE UNIQUE INDEX assessment_offers_one_open ON assessment_offers (task_id)
    WHERE outcome IN ('pending', 'accepted');

-- What the assessor found on scene (a coordinator's record is handed over to the insurer). Amounts in fen.
CREATE TABLE onscene_records (
    id           uuid        PRIMARY KEY,
    task_id      uuid        NOT NULL REFERENCES assessment_tasks (id),
    assessor_id  text        NOT NULL REFERENCES assessors (id),
    notes        text        NOT NULL,
    items        jsonb       NOT NULL,
    total_fen    bigint      NOT NULL CHECK (total_fen >= 0),
    photo_ids    uuid[]      NOT NULL DEFAULT '{}',
    submitted_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT onscene_records_task_key UNIQUE (task_id)
);

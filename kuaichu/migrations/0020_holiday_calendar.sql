-- Holiday calendar years loaded by an operator (`kuaichu calendar load FILE`) for years the chinesecalendar
-- package does not publish yet, transcribed from the State Council's 节假日安排 notice and kept with its
-- title, number and date. Claim deadlines (民法典 §201, §203) read them; one a year, replaced by a new load.
CREATE TABLE holiday_years (
    year          integer     PRIMARY KEY CHECK (year BETWEEN 2000 AND 2200),
    holidays      date[]      NOT NULL,
    workdays      date[]      NOT NULL,
    source_title  text        NOT NULL,
    source_number text        NOT NULL,
    source_date   date        NOT NULL,
    loaded_at     timestamptz NOT NULL DEFAULT now(),
    loaded_by     text        NOT NULL
);

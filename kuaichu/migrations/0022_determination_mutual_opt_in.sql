-- 互碰自赔 after a police determination: each party opts in when it accepts the determination
-- (PRODUCT.md "Claims under 交强险"); the claims see the opt-ins once every party accepted with one.
ALTER TABLE determination_responses ADD COLUMN mutual_opt_in boolean NOT NULL DEFAULT false;

-- Claims opened before lines existed get the lines today's rules give them (claims/lines.py planned_lines, in
-- SQL): every other vehicle's insurer, less a no-fault vehicle toward a no-fault one (industry rule) unless nobody
-- is liable, plus the vehicle's own insurer when every party opted in to 互碰自赔. No receipt is invented: §28 runs
-- from the insurer's next read (or a replayed claim.opened). Lines of closed or withdrawn claims are closed with
-- them. `kuaichu claims replay` lists what a later rule change would alter.
WITH parties AS (
    SELECT c.id AS claim_id, c.label AS victim, c.insurer_code AS victim_insurer, c.status, c.closed_at,
           p->>'label' AS label, p->>'insurer_code' AS insurer_code, (p->>'share_percent')::int AS share,
           coalesce((p->>'mutual_opt_in')::boolean, false) AS opted_in
    FROM claims c
    JOIN claim_settlements s ON s.report_id = c.report_id
    CROSS JOIN LATERAL jsonb_array_elements(s.parties) p
    WHERE NOT EXISTS (SELECT 1 FROM claim_lines l WHERE l.claim_id = c.id)
),
per_claim AS (
    SELECT claim_id, bool_and(share = 0) AS nobody_liable, bool_and(opted_in) AS all_opted_in, count(*) AS n,
           max(share) FILTER (WHERE label = victim) AS victim_share,
           bool_or(label = victim) AS victim_settled
    FROM parties GROUP BY claim_id
),
planned AS (
    SELECT p.claim_id, p.insurer_code, 'liability' AS basis, p.label, p.status, p.closed_at
    FROM parties p JOIN per_claim k ON k.claim_id = p.claim_id
    WHERE k.victim_settled AND p.label <> p.victim AND p.insurer_code IS NOT NULL
      AND (k.nobody_liable OR k.victim_share > 0 OR p.share > 0)
    UNION
    SELECT p.claim_id, p.victim_insurer, 'mutual_self_compensation', p.victim, p.status, p.closed_at
    FROM parties p JOIN per_claim k ON k.claim_id = p.claim_id
    WHERE k.victim_settled AND k.n > 1 AND k.all_opted_in AND p.victim_insurer IS NOT NULL
)
-- one line per insurer: an insurer that is both a payer and the vehicle's own keeps the liability basis
INSERT INTO claim_lines (id, claim_id, insurer_code, basis, payer_labels, status, closed_at)
SELECT gen_random_uuid(), claim_id, insurer_code, min(basis), array_agg(DISTINCT label ORDER BY label),
       CASE WHEN min(status) IN ('closed', 'withdrawn') THEN min(status) ELSE 'opened' END,
       CASE WHEN min(status) IN ('closed', 'withdrawn') THEN coalesce(min(closed_at), now()) END
FROM planned
GROUP BY claim_id, insurer_code
ON CONFLICT ON CONSTRAINT claim_lines_claim_insurer_key DO NOTHING;

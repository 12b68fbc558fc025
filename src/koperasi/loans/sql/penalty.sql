-- The penalty rule in SQL, for loans_repay: `domain.repayment.penalty_increment` step for step.
-- The penalty kinds' names come in from Python (domain.repayment.PENALTY_KINDS); the numbers
-- here are units: percent (x 0.01), the rupiah (round to 0 places) and the sen (2 places).
-- A change here needs a new loans migration that re-installs this file
-- (koperasi/sqlfunctions.py).

-- The penalty one instalment earns over (through, as_of].
CREATE OR REPLACE FUNCTION loans_penalty_increment(
    p_kind text, p_rate numeric, p_flat numeric, p_grace integer, p_cap_pct numeric,
    p_overdue numeric, p_payment numeric, p_due date, p_through date, p_as_of date,
    p_already numeric,
    p_kind_none text, p_kind_pct_day text, p_kind_pct_month text, p_kind_flat text
) RETURNS numeric
LANGUAGE plpgsql IMMUTABLE AS $fn$
DECLARE
    v_eve date;
    v_start date;
    v_before numeric;
    v_after numeric;
    v_increment numeric;
BEGIN
    IF p_kind = p_kind_none OR p_overdue <= 0
       OR (p_through IS NOT NULL AND p_as_of <= p_through) THEN
        RETURN 0.00;
    END IF;
    v_eve := p_due + p_grace;  -- the eve of the first chargeable day
    v_start := CASE WHEN p_through IS NULL THEN v_eve ELSE greatest(p_through, v_eve) END;
    IF p_kind = p_kind_flat THEN
        v_increment := CASE WHEN v_start = v_eve AND v_eve < p_as_of THEN round(p_flat, 0)
                            ELSE 0 END;
    ELSE
        IF p_kind = p_kind_pct_day THEN
            v_before := v_start - v_eve;
            v_after := greatest(p_as_of - v_eve, 0);
        ELSIF p_kind = p_kind_pct_month THEN  -- whole months of lateness completed
            v_before := loans_months_between(v_eve, v_start);
            v_after := loans_months_between(v_eve, p_as_of);
        ELSE
            RAISE EXCEPTION 'penalty_kind' USING ERRCODE = 'KD409';
        END IF;
        -- Each side rounded half-up to the rupiah from the exact product (x 0.01 is exact).
        v_increment := round(p_overdue * p_rate * v_after * 0.01, 0)
                     - round(p_overdue * p_rate * v_before * 0.01, 0);
    END IF;
    IF p_cap_pct > 0 THEN
        v_increment := least(v_increment, round(p_payment * p_cap_pct * 0.01, 0) - p_already);
    END IF;
    RETURN round(greatest(v_increment, 0), 2);
END
$fn$;

-- domain.periods.months_between (0 before the start): PostgreSQL's month arithmetic clips to
-- the month's end like add_months.
CREATE OR REPLACE FUNCTION loans_months_between(p_start date, p_end date) RETURNS integer
LANGUAGE plpgsql IMMUTABLE AS $fn$
DECLARE
    v_months integer;
BEGIN
    IF p_end < p_start THEN
        RETURN 0;
    END IF;
    v_months := (extract(year FROM p_end) - extract(year FROM p_start)) * 12
              + extract(month FROM p_end) - extract(month FROM p_start);
    IF (p_start + make_interval(months => v_months))::date > p_end THEN
        v_months := v_months - 1;
    END IF;
    RETURN v_months;
END
$fn$;

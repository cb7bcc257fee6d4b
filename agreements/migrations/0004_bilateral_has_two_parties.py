"""A bilateral agreement has exactly two parties in the role "party".

The rule spans rows that are written one after another (the agreement, then its parties), so
it is a constraint trigger deferred to the end of the transaction: a transaction that leaves a
bilateral agreement with another number of parties fails at COMMIT and writes nothing.
"""

from django.db import migrations

FORWARD = r"""
CREATE FUNCTION agreements_bilateral_has_two_parties() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    checked_ids bigint[];
    checked_id bigint;
    party_count integer;
BEGIN
    IF TG_TABLE_NAME = 'agreements_agreement' THEN
        checked_ids := ARRAY[NEW.id];
    ELSIF TG_OP = 'DELETE' THEN
        checked_ids := ARRAY[OLD.agreement_id];
    ELSIF TG_OP = 'UPDATE' THEN
        checked_ids := ARRAY[OLD.agreement_id, NEW.agreement_id];
    ELSE
        checked_ids := ARRAY[NEW.agreement_id];
    END IF;
    FOREACH checked_id IN ARRAY checked_ids LOOP
        IF EXISTS (
            SELECT 1 FROM agreements_agreement WHERE id = checked_id AND scope = 'bilateral'
        ) THEN
            SELECT count(*) INTO party_count FROM agreements_agreementparty
            WHERE agreement_id = checked_id AND role = 'party';
            IF party_count <> 2 THEN
                RAISE EXCEPTION
                    'A bilateral agreement has exactly two parties; agreement % has %.',
                    checked_id, party_count
                    USING ERRCODE = 'check_violation',
                          CONSTRAINT = 'agreement_bilateral_two_parties';
            END IF;
        END IF;
    END LOOP;
    RETURN NULL;
END;
$$;

CREATE CONSTRAINT TRIGGER agreements_bilateral_agreement
    AFTER INSERT OR UPDATE OF scope ON agreements_agreement
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION agreements_bilateral_has_two_parties();

CREATE CONSTRAINT TRIGGER agreements_bilateral_party
    AFTER INSERT OR UPDATE OF role, agreement_id OR DELETE ON agreements_agreementparty
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION agreements_bilateral_has_two_parties();
"""

BACKWARD = r"""
DROP TRIGGER IF EXISTS agreements_bilateral_party ON agreements_agreementparty;
DROP TRIGGER IF EXISTS agreements_bilateral_agreement ON agreements_agreement;
DROP FUNCTION IF EXISTS agreements_bilateral_has_two_parties();
"""


class Migration(migrations.Migration):
    dependencies = [("agreements", "0003_reference_cooperation_areas")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]

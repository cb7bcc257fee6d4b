"""Rules about partner kinds that look at another row, so a CHECK cannot hold them.

- an agency's parent is a government of the same country;
- a partner that has agencies stays a government, and keeps the country of its agencies;
- an organization's members are governments, and only organizations have members.
Violations raise check_violation (SQLSTATE 23514), which Django reports as IntegrityError.
"""

from django.db import migrations

FORWARD = r"""
CREATE FUNCTION cooperation_partner_kinds() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    parent_row cooperation_partner%ROWTYPE;
BEGIN
    IF NEW.kind = 'agency' AND NEW.parent_id IS NOT NULL THEN
        SELECT * INTO parent_row FROM cooperation_partner WHERE id = NEW.parent_id FOR SHARE;
        IF parent_row.kind IS DISTINCT FROM 'government' THEN
            RAISE EXCEPTION 'An agency''s parent must be a government (partner %).', NEW.id
                USING ERRCODE = 'check_violation', CONSTRAINT = 'agency_parent_is_government';
        END IF;
        IF parent_row.country_id IS DISTINCT FROM NEW.country_id THEN
            RAISE EXCEPTION 'An agency has the country of its parent government (partner %).', NEW.id
                USING ERRCODE = 'check_violation', CONSTRAINT = 'agency_country_is_parents';
        END IF;
    END IF;
    IF TG_OP = 'UPDATE' THEN
        IF NEW.kind <> 'government' AND EXISTS (
            SELECT 1 FROM cooperation_partner WHERE parent_id = NEW.id
        ) THEN
            RAISE EXCEPTION 'A partner with agencies must stay a government (partner %).', NEW.id
                USING ERRCODE = 'check_violation', CONSTRAINT = 'agency_parent_is_government';
        END IF;
        IF NEW.country_id IS DISTINCT FROM OLD.country_id AND EXISTS (
            SELECT 1 FROM cooperation_partner WHERE parent_id = NEW.id
        ) THEN
            RAISE EXCEPTION 'A government with agencies keeps their country (partner %).', NEW.id
                USING ERRCODE = 'check_violation', CONSTRAINT = 'agency_country_is_parents';
        END IF;
        IF NEW.kind <> 'organization' AND EXISTS (
            SELECT 1 FROM cooperation_membership WHERE organization_id = NEW.id
        ) THEN
            RAISE EXCEPTION 'A partner with members must stay an organization (partner %).', NEW.id
                USING ERRCODE = 'check_violation', CONSTRAINT = 'membership_kinds';
        END IF;
        IF NEW.kind <> 'government' AND EXISTS (
            SELECT 1 FROM cooperation_membership WHERE member_id = NEW.id
        ) THEN
            RAISE EXCEPTION 'A member of an organization must stay a government (partner %).', NEW.id
                USING ERRCODE = 'check_violation', CONSTRAINT = 'membership_kinds';
        END IF;
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER cooperation_partner_kinds
    BEFORE INSERT OR UPDATE OF kind, parent_id, country_id ON cooperation_partner
    FOR EACH ROW EXECUTE FUNCTION cooperation_partner_kinds();

CREATE FUNCTION cooperation_membership_kinds() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (
        SELECT 1 FROM cooperation_partner
        WHERE id = NEW.organization_id AND kind = 'organization' FOR SHARE
    ) THEN
        RAISE EXCEPTION 'Only organizations have members (partner %).', NEW.organization_id
            USING ERRCODE = 'check_violation', CONSTRAINT = 'membership_kinds';
    END IF;
    IF NOT EXISTS (
        SELECT 1 FROM cooperation_partner
        WHERE id = NEW.member_id AND kind = 'government' FOR SHARE
    ) THEN
        RAISE EXCEPTION 'Members of an organization are governments (partner %).', NEW.member_id
            USING ERRCODE = 'check_violation', CONSTRAINT = 'membership_kinds';
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER cooperation_membership_kinds
    BEFORE INSERT OR UPDATE ON cooperation_membership
    FOR EACH ROW EXECUTE FUNCTION cooperation_membership_kinds();
"""

BACKWARD = r"""
DROP TRIGGER IF EXISTS cooperation_membership_kinds ON cooperation_membership;
DROP FUNCTION IF EXISTS cooperation_membership_kinds();
DROP TRIGGER IF EXISTS cooperation_partner_kinds ON cooperation_partner;
DROP FUNCTION IF EXISTS cooperation_partner_kinds();
"""


class Migration(migrations.Migration):
    dependencies = [("cooperation", "0002_reference_regions_countries")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]

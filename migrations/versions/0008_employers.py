"""Employers (issue #13): employers and their administrators, staff memberships, group
enrollments paid by one payment with a line per enrollment, self-study records, long-training
consents, yearly plans and reports, fee recovery requests.

Hand-reviewed: besides the new tables,
- ``user`` gets ``employer_id`` and two CHECKs change: the role list gains
  ``employer_admin``, and an employer administrator must have an employer (and nobody
  else may), like base staff and their base;
- ``payment_intent.enrollment_id`` becomes nullable: a payment is for one enrollment or
  for a group (``group_id``), exactly one of the two (CHECK);
- data: learners whose free-text employer is exactly a confirmed employer's name are
  invited by it (``link_profiles_to_employers``; they accept or decline on NTBase). On a
  database where no employer exists yet this inserts nothing; the same matching runs
  whenever the office confirms an employer (``employers.services.invite_matching_profiles``).

Revision ID: 0008
Revises: 0007
"""
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

OLD_ROLES = ("learner", "base_staff", "office", "admin")
NEW_ROLES = OLD_ROLES + ("employer_admin",)
EMPLOYER_ADMIN_CHECK = ("(role = 'employer_admin' AND employer_id IS NOT NULL) OR "
                        "(role <> 'employer_admin' AND employer_id IS NULL)")


def _roles(values) -> sa.Enum:
    return sa.Enum(*values, name="role", native_enum=False, create_constraint=True, length=32)


def _role_check(values) -> str:
    return "role IN ({})".format(", ".join(f"'{r}'" for r in values))


def _user_upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.add_column("user", sa.Column("employer_id", sa.Integer(), nullable=True))
        op.create_index(op.f("ix_user_employer_id"), "user", ["employer_id"], unique=False)
        op.create_foreign_key(op.f("fk_user_employer_id_employer"), "user", "employer", ["employer_id"], ["id"])
        op.drop_constraint(op.f("ck_user_role"), "user", type_="check")
        op.create_check_constraint(op.f("ck_user_role"), "user", _role_check(NEW_ROLES))
        op.create_check_constraint(op.f("ck_user_employer_admin_has_employer"), "user", EMPLOYER_ADMIN_CHECK)
        return
    with op.batch_alter_table("user", schema=None, recreate="always") as batch_op:
        batch_op.add_column(sa.Column("employer_id", sa.Integer(), nullable=True))
        batch_op.alter_column("role", existing_type=_roles(OLD_ROLES), type_=_roles(NEW_ROLES),
                              existing_nullable=False)
        batch_op.create_index(batch_op.f("ix_user_employer_id"), ["employer_id"], unique=False)
        batch_op.create_foreign_key(batch_op.f("fk_user_employer_id_employer"), "employer", ["employer_id"], ["id"])
        batch_op.create_check_constraint(op.f("ck_user_employer_admin_has_employer"), EMPLOYER_ADMIN_CHECK)


def _user_downgrade() -> None:
    bind = op.get_bind()
    # their rows are referenced by the append-only audit log: refuse rather than lose them
    if bind.execute(sa.text("SELECT COUNT(*) FROM \"user\" WHERE role = 'employer_admin'")).scalar():
        raise RuntimeError("employer administrators exist; a downgrade below 0010 would lose them")
    if bind.dialect.name == "postgresql":
        op.drop_constraint(op.f("ck_user_employer_admin_has_employer"), "user", type_="check")
        op.drop_constraint(op.f("ck_user_role"), "user", type_="check")
        op.create_check_constraint(op.f("ck_user_role"), "user", _role_check(OLD_ROLES))
        op.drop_constraint(op.f("fk_user_employer_id_employer"), "user", type_="foreignkey")
        op.drop_index(op.f("ix_user_employer_id"), table_name="user")
        op.drop_column("user", "employer_id")
        return
    with op.batch_alter_table("user", schema=None, recreate="always") as batch_op:
        batch_op.drop_constraint(op.f("ck_user_employer_admin_has_employer"), type_="check")
        batch_op.drop_constraint(batch_op.f("fk_user_employer_id_employer"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_user_employer_id"))
        batch_op.alter_column("role", existing_type=_roles(NEW_ROLES), type_=_roles(OLD_ROLES),
                              existing_nullable=False)
        batch_op.drop_column("employer_id")


def link_profiles_to_employers(bind, at: datetime | None = None) -> int:
    """The free-text ``learner_profile.employer`` becomes an invitation (source
    ``profile``) from the confirmed employer whose name it is exactly (spaces around it
    ignored), unless the learner already has a pending or current membership there.
    Plain SQL, no application code: a migration must keep working as the code changes.
    Returns the number of invitations made."""
    at = at or datetime.now(timezone(timedelta(hours=8))).replace(tzinfo=None)
    rows = bind.execute(sa.text(
        "SELECT e.id, p.user_id FROM learner_profile p "
        "JOIN employer e ON e.name = TRIM(p.employer) "
        "JOIN \"user\" u ON u.id = p.user_id "
        "WHERE e.state = 'active' AND u.role = 'learner' AND NOT EXISTS ("
        "  SELECT 1 FROM employer_membership m WHERE m.employer_id = e.id AND m.learner_id = p.user_id "
        "  AND m.state IN ('invited', 'active')) "
        "ORDER BY e.id, p.user_id")).all()
    for employer_id, learner_id in rows:
        membership_id = bind.execute(sa.text(
            "INSERT INTO employer_membership (employer_id, learner_id, state, department, source, "
            "created_at, updated_at) VALUES (:e, :l, 'invited', '', 'profile', :at, :at) RETURNING id"),
            {"e": employer_id, "l": learner_id, "at": at}).scalar_one()
        bind.execute(sa.text(
            "INSERT INTO employer_membership_event (membership_id, from_state, to_state, reason, at) "
            "VALUES (:m, NULL, 'invited', 'invited (profile, migration 0010)', :at)"), {"m": membership_id, "at": at})
    return len(rows)


def upgrade():
    op.create_table('employer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('uscc', sa.String(length=18), nullable=False),
    sa.Column('kind', sa.Enum('enterprise', 'public_institution', 'social_organisation', 'government', name='employer_kind', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('district', sa.String(length=32), nullable=False),
    sa.Column('address', sa.String(length=200), nullable=False),
    sa.Column('contact_name', sa.String(length=50), nullable=False),
    sa.Column('contact_phone', sa.String(length=20), nullable=False),
    sa.Column('state', sa.Enum('pending', 'active', 'suspended', name='employer_state', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('state_reason', sa.Text(), nullable=False),
    sa.Column('join_code', sa.String(length=12), nullable=False),
    sa.Column('confirmed_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('length(uscc) = 18', name=op.f('ck_employer_uscc_length')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_employer')),
    sa.UniqueConstraint('join_code', name=op.f('uq_employer_join_code')),
    sa.UniqueConstraint('name', name=op.f('uq_employer_name')),
    sa.UniqueConstraint('uscc', name=op.f('uq_employer_uscc'))
    )
    with op.batch_alter_table('employer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_employer_state'), ['state'], unique=False)

    op.create_table('employer_report',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('employer_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('state', sa.Enum('draft', 'submitted', 'acknowledged', 'commented', name='report_state', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('office_comment', sa.Text(), nullable=False),
    sa.Column('first_submitted_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['employer_id'], ['employer.id'], name=op.f('fk_employer_report_employer_id_employer')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_employer_report')),
    sa.UniqueConstraint('employer_id', 'year', name=op.f('uq_employer_report_employer_id_year'))
    )
    op.create_table('training_plan',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('employer_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('state', sa.Enum('draft', 'submitted', 'acknowledged', 'commented', name='plan_state', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('office_comment', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['employer_id'], ['employer.id'], name=op.f('fk_training_plan_employer_id_employer')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_training_plan')),
    sa.UniqueConstraint('employer_id', 'year', name=op.f('uq_training_plan_employer_id_year'))
    )
    op.create_table('employer_event',
    sa.Column('employer_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('from_state', sa.String(length=32), nullable=True),
    sa.Column('to_state', sa.String(length=32), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['actor_id'], ['user.id'], name=op.f('fk_employer_event_actor_id_user')),
    sa.ForeignKeyConstraint(['employer_id'], ['employer.id'], name=op.f('fk_employer_event_employer_id_employer')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_employer_event'))
    )
    with op.batch_alter_table('employer_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_employer_event_employer_id'), ['employer_id'], unique=False)

    op.create_table('employer_membership',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('employer_id', sa.Integer(), nullable=False),
    sa.Column('learner_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.Enum('invited', 'active', 'declined', 'withdrawn', 'ended', name='membership_state', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('department', sa.String(length=100), nullable=False),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('started_on', sa.Date(), nullable=True),
    sa.Column('ended_on', sa.Date(), nullable=True),
    sa.Column('invited_by_id', sa.Integer(), nullable=True),
    sa.Column('responded_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("state <> 'active' OR started_on IS NOT NULL", name=op.f('ck_employer_membership_current_has_start')),
    sa.CheckConstraint("state <> 'ended' OR ended_on IS NOT NULL", name=op.f('ck_employer_membership_ended_has_end')),
    sa.CheckConstraint('ended_on IS NULL OR started_on IS NULL OR ended_on >= started_on', name=op.f('ck_employer_membership_ordered')),
    sa.ForeignKeyConstraint(['employer_id'], ['employer.id'], name=op.f('fk_employer_membership_employer_id_employer')),
    sa.ForeignKeyConstraint(['invited_by_id'], ['user.id'], name=op.f('fk_employer_membership_invited_by_id_user')),
    sa.ForeignKeyConstraint(['learner_id'], ['user.id'], name=op.f('fk_employer_membership_learner_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_employer_membership'))
    )
    with op.batch_alter_table('employer_membership', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_employer_membership_learner_id'), ['learner_id'], unique=False)
        batch_op.create_index('ix_membership_employer_state', ['employer_id', 'state'], unique=False)
        batch_op.create_index('uq_membership_live', ['employer_id', 'learner_id'], unique=True, sqlite_where=sa.text("state IN ('invited','active')"), postgresql_where=sa.text("state IN ('invited','active')"))
        batch_op.create_index('uq_membership_one_current', ['learner_id'], unique=True, sqlite_where=sa.text("state = 'active'"), postgresql_where=sa.text("state = 'active'"))

    op.create_table('employer_report_event',
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('from_state', sa.String(length=32), nullable=True),
    sa.Column('to_state', sa.String(length=32), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['actor_id'], ['user.id'], name=op.f('fk_employer_report_event_actor_id_user')),
    sa.ForeignKeyConstraint(['report_id'], ['employer_report.id'], name=op.f('fk_employer_report_event_report_id_employer_report')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_employer_report_event'))
    )
    with op.batch_alter_table('employer_report_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_employer_report_event_report_id'), ['report_id'], unique=False)

    op.create_table('employer_report_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('figures', sa.JSON(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('submitted_at', sa.DateTime(), nullable=False),
    sa.Column('submitted_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['report_id'], ['employer_report.id'], name=op.f('fk_employer_report_version_report_id_employer_report')),
    sa.ForeignKeyConstraint(['submitted_by_id'], ['user.id'], name=op.f('fk_employer_report_version_submitted_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_employer_report_version')),
    sa.UniqueConstraint('report_id', 'version', name=op.f('uq_employer_report_version_report_id_version'))
    )
    with op.batch_alter_table('employer_report_version', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_employer_report_version_report_id'), ['report_id'], unique=False)

    op.create_table('training_plan_event',
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('from_state', sa.String(length=32), nullable=True),
    sa.Column('to_state', sa.String(length=32), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['actor_id'], ['user.id'], name=op.f('fk_training_plan_event_actor_id_user')),
    sa.ForeignKeyConstraint(['plan_id'], ['training_plan.id'], name=op.f('fk_training_plan_event_plan_id_training_plan')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_training_plan_event'))
    )
    with op.batch_alter_table('training_plan_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_training_plan_event_plan_id'), ['plan_id'], unique=False)

    op.create_table('training_plan_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('topic', sa.String(length=200), nullable=False),
    sa.Column('category', sa.String(length=20), nullable=False),
    sa.Column('target_staff', sa.String(length=200), nullable=False),
    sa.Column('planned_hours', sa.Numeric(precision=6, scale=1), nullable=False),
    sa.Column('budget_fen', sa.Integer(), nullable=False),
    sa.CheckConstraint('budget_fen >= 0', name=op.f('ck_training_plan_item_budget_nonneg')),
    sa.CheckConstraint('planned_hours > 0', name=op.f('ck_training_plan_item_hours_positive')),
    sa.ForeignKeyConstraint(['plan_id'], ['training_plan.id'], name=op.f('fk_training_plan_item_plan_id_training_plan'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_training_plan_item'))
    )
    with op.batch_alter_table('training_plan_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_training_plan_item_plan_id'), ['plan_id'], unique=False)

    op.create_table('training_plan_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('items', sa.JSON(), nullable=False),
    sa.Column('total_hours', sa.Numeric(precision=8, scale=1), nullable=False),
    sa.Column('total_budget_fen', sa.Integer(), nullable=False),
    sa.Column('submitted_at', sa.DateTime(), nullable=False),
    sa.Column('submitted_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['plan_id'], ['training_plan.id'], name=op.f('fk_training_plan_version_plan_id_training_plan')),
    sa.ForeignKeyConstraint(['submitted_by_id'], ['user.id'], name=op.f('fk_training_plan_version_submitted_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_training_plan_version')),
    sa.UniqueConstraint('plan_id', 'version', name=op.f('uq_training_plan_version_plan_id_version'))
    )
    with op.batch_alter_table('training_plan_version', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_training_plan_version_plan_id'), ['plan_id'], unique=False)

    op.create_table('employer_membership_event',
    sa.Column('membership_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('from_state', sa.String(length=32), nullable=True),
    sa.Column('to_state', sa.String(length=32), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['actor_id'], ['user.id'], name=op.f('fk_employer_membership_event_actor_id_user')),
    sa.ForeignKeyConstraint(['membership_id'], ['employer_membership.id'], name=op.f('fk_employer_membership_event_membership_id_employer_membership')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_employer_membership_event'))
    )
    with op.batch_alter_table('employer_membership_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_employer_membership_event_membership_id'), ['membership_id'], unique=False)

    op.create_table('enrollment_group',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('price_fen', sa.Integer(), nullable=False),
    sa.Column('hold_expires_at', sa.DateTime(), nullable=True),
    sa.Column('payer_label', sa.String(length=200), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('price_fen >= 0', name=op.f('ck_enrollment_group_price_nonneg')),
    sa.CheckConstraint('size >= 1', name=op.f('ck_enrollment_group_size_positive')),
    sa.ForeignKeyConstraint(['course_id'], ['course.id'], name=op.f('fk_enrollment_group_course_id_course')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_enrollment_group_created_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_enrollment_group'))
    )
    with op.batch_alter_table('enrollment_group', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_enrollment_group_course_id'), ['course_id'], unique=False)

    op.create_table('employer_group',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('employer_id', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_employer_group_created_by_id_user')),
    sa.ForeignKeyConstraint(['employer_id'], ['employer.id'], name=op.f('fk_employer_group_employer_id_employer')),
    sa.ForeignKeyConstraint(['group_id'], ['enrollment_group.id'], name=op.f('fk_employer_group_group_id_enrollment_group')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_employer_group')),
    sa.UniqueConstraint('group_id', name=op.f('uq_employer_group_group_id'))
    )
    with op.batch_alter_table('employer_group', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_employer_group_employer_id'), ['employer_id'], unique=False)

    op.create_table('fee_recovery',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('employer_id', sa.Integer(), nullable=False),
    sa.Column('enrollment_id', sa.Integer(), nullable=False),
    sa.Column('learner_id', sa.Integer(), nullable=False),
    sa.Column('amount_fen', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('state', sa.Enum('requested', 'answered', 'withdrawn', name='recovery_state', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('answer', sa.Text(), nullable=False),
    sa.Column('answered_at', sa.DateTime(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('amount_fen > 0', name=op.f('ck_fee_recovery_amount_positive')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_fee_recovery_created_by_id_user')),
    sa.ForeignKeyConstraint(['employer_id'], ['employer.id'], name=op.f('fk_fee_recovery_employer_id_employer')),
    sa.ForeignKeyConstraint(['enrollment_id'], ['enrollment.id'], name=op.f('fk_fee_recovery_enrollment_id_enrollment')),
    sa.ForeignKeyConstraint(['learner_id'], ['user.id'], name=op.f('fk_fee_recovery_learner_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fee_recovery'))
    )
    with op.batch_alter_table('fee_recovery', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_fee_recovery_employer_id'), ['employer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_fee_recovery_enrollment_id'), ['enrollment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_fee_recovery_learner_id'), ['learner_id'], unique=False)
        batch_op.create_index('uq_fee_recovery_live', ['enrollment_id'], unique=True, sqlite_where=sa.text("state IN ('requested','answered')"), postgresql_where=sa.text("state IN ('requested','answered')"))

    op.create_table('long_training_consent',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('employer_id', sa.Integer(), nullable=False),
    sa.Column('enrollment_id', sa.Integer(), nullable=False),
    sa.Column('consented_on', sa.Date(), nullable=False),
    sa.Column('contract_evidence_id', sa.Integer(), nullable=False),
    sa.Column('note', sa.String(length=300), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['contract_evidence_id'], ['evidence.id'], name=op.f('fk_long_training_consent_contract_evidence_id_evidence')),
    sa.ForeignKeyConstraint(['employer_id'], ['employer.id'], name=op.f('fk_long_training_consent_employer_id_employer')),
    sa.ForeignKeyConstraint(['enrollment_id'], ['enrollment.id'], name=op.f('fk_long_training_consent_enrollment_id_enrollment')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['user.id'], name=op.f('fk_long_training_consent_recorded_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_long_training_consent')),
    sa.UniqueConstraint('enrollment_id', name=op.f('uq_long_training_consent_enrollment_id'))
    )
    with op.batch_alter_table('long_training_consent', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_long_training_consent_employer_id'), ['employer_id'], unique=False)

    op.create_table('payment_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('payment_id', sa.Integer(), nullable=False),
    sa.Column('enrollment_id', sa.Integer(), nullable=False),
    sa.Column('amount_fen', sa.Integer(), nullable=False),
    sa.Column('refunded_fen', sa.Integer(), nullable=False),
    sa.CheckConstraint('amount_fen > 0', name=op.f('ck_payment_line_amount_positive')),
    sa.CheckConstraint('refunded_fen >= 0 AND refunded_fen <= amount_fen', name=op.f('ck_payment_line_refund_within_amount')),
    sa.ForeignKeyConstraint(['enrollment_id'], ['enrollment.id'], name=op.f('fk_payment_line_enrollment_id_enrollment')),
    sa.ForeignKeyConstraint(['payment_id'], ['payment_intent.id'], name=op.f('fk_payment_line_payment_id_payment_intent')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payment_line')),
    sa.UniqueConstraint('payment_id', 'enrollment_id', name=op.f('uq_payment_line_payment_id_enrollment_id'))
    )
    with op.batch_alter_table('payment_line', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payment_line_enrollment_id'), ['enrollment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_payment_line_payment_id'), ['payment_id'], unique=False)

    op.create_table('employer_self_study',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('employer_id', sa.Integer(), nullable=False),
    sa.Column('learner_id', sa.Integer(), nullable=False),
    sa.Column('ledger_entry_id', sa.Integer(), nullable=False),
    sa.Column('plan', sa.Text(), nullable=False),
    sa.Column('organisation', sa.Text(), nullable=False),
    sa.Column('examination', sa.Text(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['employer_id'], ['employer.id'], name=op.f('fk_employer_self_study_employer_id_employer')),
    sa.ForeignKeyConstraint(['learner_id'], ['user.id'], name=op.f('fk_employer_self_study_learner_id_user')),
    sa.ForeignKeyConstraint(['ledger_entry_id'], ['ledger_entry.id'], name=op.f('fk_employer_self_study_ledger_entry_id_ledger_entry')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['user.id'], name=op.f('fk_employer_self_study_recorded_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_employer_self_study')),
    sa.UniqueConstraint('ledger_entry_id', name=op.f('uq_employer_self_study_ledger_entry_id'))
    )
    with op.batch_alter_table('employer_self_study', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_employer_self_study_employer_id'), ['employer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_employer_self_study_learner_id'), ['learner_id'], unique=False)

    with op.batch_alter_table('enrollment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('group_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_enrollment_group_id'), ['group_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_enrollment_group_id_enrollment_group'), 'enrollment_group', ['group_id'], ['id'])

    with op.batch_alter_table('payment_intent', schema=None) as batch_op:
        batch_op.add_column(sa.Column('group_id', sa.Integer(), nullable=True))
        batch_op.alter_column('enrollment_id',
               existing_type=sa.INTEGER(),
               nullable=True)
        batch_op.create_index(batch_op.f('ix_payment_intent_group_id'), ['group_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_payment_intent_group_id_enrollment_group'), 'enrollment_group', ['group_id'], ['id'])
        batch_op.create_check_constraint(op.f('ck_payment_intent_one_purpose'),
                                         '(enrollment_id IS NULL) <> (group_id IS NULL)')

    with op.batch_alter_table('refund', schema=None) as batch_op:
        batch_op.add_column(sa.Column('line_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_refund_line_id'), ['line_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_refund_line_id_payment_line'), 'payment_line', ['line_id'], ['id'])

    _user_upgrade()

    link_profiles_to_employers(op.get_bind())


def downgrade():
    _user_downgrade()

    with op.batch_alter_table('refund', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_refund_line_id_payment_line'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_refund_line_id'))
        batch_op.drop_column('line_id')

    with op.batch_alter_table('payment_intent', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_payment_intent_one_purpose'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_payment_intent_group_id_enrollment_group'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_payment_intent_group_id'))
        batch_op.alter_column('enrollment_id',
               existing_type=sa.INTEGER(),
               nullable=False)
        batch_op.drop_column('group_id')

    with op.batch_alter_table('enrollment', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_enrollment_group_id_enrollment_group'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_enrollment_group_id'))
        batch_op.drop_column('group_id')

    with op.batch_alter_table('employer_self_study', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_employer_self_study_learner_id'))
        batch_op.drop_index(batch_op.f('ix_employer_self_study_employer_id'))

    op.drop_table('employer_self_study')
    with op.batch_alter_table('payment_line', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payment_line_payment_id'))
        batch_op.drop_index(batch_op.f('ix_payment_line_enrollment_id'))

    op.drop_table('payment_line')
    with op.batch_alter_table('long_training_consent', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_long_training_consent_employer_id'))

    op.drop_table('long_training_consent')
    with op.batch_alter_table('fee_recovery', schema=None) as batch_op:
        batch_op.drop_index('uq_fee_recovery_live', sqlite_where=sa.text("state IN ('requested','answered')"), postgresql_where=sa.text("state IN ('requested','answered')"))
        batch_op.drop_index(batch_op.f('ix_fee_recovery_learner_id'))
        batch_op.drop_index(batch_op.f('ix_fee_recovery_enrollment_id'))
        batch_op.drop_index(batch_op.f('ix_fee_recovery_employer_id'))

    op.drop_table('fee_recovery')
    with op.batch_alter_table('employer_group', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_employer_group_employer_id'))

    op.drop_table('employer_group')
    with op.batch_alter_table('enrollment_group', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_enrollment_group_course_id'))

    op.drop_table('enrollment_group')
    with op.batch_alter_table('employer_membership_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_employer_membership_event_membership_id'))

    op.drop_table('employer_membership_event')
    with op.batch_alter_table('training_plan_version', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_training_plan_version_plan_id'))

    op.drop_table('training_plan_version')
    with op.batch_alter_table('training_plan_item', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_training_plan_item_plan_id'))

    op.drop_table('training_plan_item')
    with op.batch_alter_table('training_plan_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_training_plan_event_plan_id'))

    op.drop_table('training_plan_event')
    with op.batch_alter_table('employer_report_version', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_employer_report_version_report_id'))

    op.drop_table('employer_report_version')
    with op.batch_alter_table('employer_report_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_employer_report_event_report_id'))

    op.drop_table('employer_report_event')
    with op.batch_alter_table('employer_membership', schema=None) as batch_op:
        batch_op.drop_index('uq_membership_one_current', sqlite_where=sa.text("state = 'active'"), postgresql_where=sa.text("state = 'active'"))
        batch_op.drop_index('uq_membership_live', sqlite_where=sa.text("state IN ('invited','active')"), postgresql_where=sa.text("state IN ('invited','active')"))
        batch_op.drop_index('ix_membership_employer_state')
        batch_op.drop_index(batch_op.f('ix_employer_membership_learner_id'))

    op.drop_table('employer_membership')
    with op.batch_alter_table('employer_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_employer_event_employer_id'))

    op.drop_table('employer_event')
    op.drop_table('training_plan')
    op.drop_table('employer_report')
    with op.batch_alter_table('employer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_employer_state'))

    op.drop_table('employer')

"""initial schema

Revision ID: 0001
Revises: (none: the first schema)
Create Date: 2026-11-22 19:14:39.050014
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# Frozen as of revision 0001: every constraint is named in full here (op.f), the CHECK
# constraint of each enum column included, instead of being named by the models' naming
# convention, which env.py passes in with target_metadata: a later change to that
# convention must not rename what this migration creates.

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('agency_settings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), server_default='', nullable=False),
    sa.Column('postal_address', sa.Text(), server_default='', nullable=False),
    sa.Column('time_zone', sa.String(length=64), nullable=False),
    sa.Column('default_phone_region', sa.String(length=2), nullable=False),
    sa.Column('application_link', sa.String(length=500), server_default='', nullable=False),
    sa.Column('daily_send_window_start', sa.Time(), nullable=False),
    sa.Column('daily_send_window_end', sa.Time(), nullable=False),
    sa.Column('send_weekdays', sa.String(length=7), nullable=False),
    sa.Column('global_rate_per_minute', sa.Integer(), nullable=False),
    sa.Column('sendgrid_asm_group_id', sa.Integer(), nullable=True),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.CheckConstraint('daily_send_window_end > daily_send_window_start', name=op.f('ck_agency_settings_send_window')),
    sa.CheckConstraint('id = 1', name=op.f('ck_agency_settings_singleton')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agency_settings'))
    )
    op.create_table('app_state',
    sa.Column('key', sa.String(length=100), nullable=False),
    sa.Column('value', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_app_state'))
    )
    op.create_table('import_mappings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('header_signature', sa.String(length=64), nullable=False),
    sa.Column('source_label', sa.String(length=200), nullable=False),
    sa.Column('mapping', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_mappings')),
    sa.UniqueConstraint('header_signature', name=op.f('uq_import_mappings_header_signature'))
    )
    op.create_table('sender_identities',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('from_email', sa.String(length=320), nullable=False),
    sa.Column('from_name', sa.String(length=200), nullable=False),
    sa.Column('reply_to', sa.String(length=320), nullable=True),
    sa.Column('daily_limit', sa.Integer(), nullable=False),
    sa.Column('warmup_started_on', sa.Date(), nullable=True),
    sa.Column('sends_today', sa.Integer(), nullable=False),
    sa.Column('sends_counted_on', sa.Date(), nullable=True),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.CheckConstraint('daily_limit >= 0', name=op.f('ck_sender_identities_daily_limit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sender_identities')),
    sa.UniqueConstraint('from_email', name=op.f('uq_sender_identities_from_email'))
    )
    op.create_table('staff',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('login', sa.String(length=120), nullable=False),
    sa.Column('display_name', sa.String(length=200), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=True),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff')),
    sa.UniqueConstraint('login', name=op.f('uq_staff_login'))
    )
    op.create_table('tags',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tags')),
    sa.UniqueConstraint('name', name=op.f('uq_tags_name'))
    )
    op.create_table('templates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('slug', sa.String(length=100), nullable=True),
    sa.Column('kind', sa.Enum('marketing', 'service', name=op.f('ck_templates_kind'), native_enum=False, create_constraint=True, length=17), nullable=False),
    sa.Column('sequence', sa.String(length=200), server_default='', nullable=False),
    sa.Column('archived_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_templates')),
    sa.UniqueConstraint('name', name=op.f('uq_templates_name')),
    sa.UniqueConstraint('slug', name=op.f('uq_templates_slug'))
    )
    op.create_table('audit_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=True),
    sa.Column('entity_type', sa.String(length=40), nullable=False),
    sa.Column('entity_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('changes', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('is_system', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_audit_log_staff_id_staff')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log'))
    )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_log_entity_type_entity_id_occurred_at'), ['entity_type', 'entity_id', 'occurred_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_log_occurred_at'), ['occurred_at'], unique=False)

    op.create_table('dq_rule_sets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('applicant_type', sa.Enum('egg_donor', 'gestational_carrier', 'other', name=op.f('ck_dq_rule_sets_applicant_type'), native_enum=False, create_constraint=True, length=27), nullable=False),
    sa.Column('version_number', sa.Integer(), nullable=False),
    sa.Column('is_current', sa.Boolean(), nullable=False),
    sa.Column('rules', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('change_note', sa.String(length=500), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['staff.id'], name=op.f('fk_dq_rule_sets_created_by_id_staff')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dq_rule_sets'))
    )
    with op.batch_alter_table('dq_rule_sets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dq_rule_sets_applicant_type_version_number'), ['applicant_type', 'version_number'], unique=True)
        batch_op.create_index('uq_dq_rule_sets_current', ['applicant_type'], unique=True, sqlite_where=sa.text('is_current'), postgresql_where=sa.text('is_current'))

    op.create_table('drip_campaigns',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('target', sa.Enum('egg_donor', 'gestational_carrier', 'any', name=op.f('ck_drip_campaigns_target'), native_enum=False, create_constraint=True, length=27), nullable=False),
    sa.Column('status', sa.Enum('draft', 'active', 'paused', 'completed', 'archived', name=op.f('ck_drip_campaigns_status'), native_enum=False, create_constraint=True, length=17), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=True),
    sa.Column('ends_on', sa.Date(), nullable=True),
    sa.Column('sender_identity_id', sa.Integer(), nullable=True),
    sa.Column('auto_enrol_rule', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('error_count', sa.Integer(), nullable=False),
    sa.Column('paused_reason', sa.Text(), nullable=True),
    sa.Column('launched_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('window_start', sa.Time(), nullable=False),
    sa.Column('window_end', sa.Time(), nullable=False),
    sa.Column('window_weekdays', sa.String(length=7), nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.CheckConstraint('ends_on IS NULL OR starts_on IS NULL OR ends_on >= starts_on', name=op.f('ck_drip_campaigns_timeline')),
    sa.CheckConstraint('window_end > window_start', name=op.f('ck_drip_campaigns_window')),
    sa.ForeignKeyConstraint(['created_by_id'], ['staff.id'], name=op.f('fk_drip_campaigns_created_by_id_staff')),
    sa.ForeignKeyConstraint(['sender_identity_id'], ['sender_identities.id'], name=op.f('fk_drip_campaigns_sender_identity_id_sender_identities')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_drip_campaigns')),
    sa.UniqueConstraint('name', name=op.f('uq_drip_campaigns_name'))
    )
    with op.batch_alter_table('drip_campaigns', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_drip_campaigns_status'), ['status'], unique=False)

    op.create_table('import_batches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('file_name', sa.String(length=300), nullable=False),
    sa.Column('file_sha256', sa.String(length=64), nullable=True),
    sa.Column('source_label', sa.String(length=200), nullable=False),
    sa.Column('target', sa.Enum('leads', 'contacts', name=op.f('ck_import_batches_target'), native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('on_duplicate', sa.Enum('skip', 'fill', 'overwrite', 'create', name=op.f('ck_import_batches_on_duplicate'), native_enum=False, create_constraint=True, length=17), nullable=False),
    sa.Column('mapping', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('status', sa.Enum('committed', 'undone', name=op.f('ck_import_batches_status'), native_enum=False, create_constraint=True, length=17), nullable=False),
    sa.Column('created_count', sa.Integer(), nullable=False),
    sa.Column('updated_count', sa.Integer(), nullable=False),
    sa.Column('skipped_count', sa.Integer(), nullable=False),
    sa.Column('rejected_count', sa.Integer(), nullable=False),
    sa.Column('imported_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('imported_by_id', sa.Integer(), nullable=True),
    sa.Column('undone_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('undone_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['imported_by_id'], ['staff.id'], name=op.f('fk_import_batches_imported_by_id_staff')),
    sa.ForeignKeyConstraint(['undone_by_id'], ['staff.id'], name=op.f('fk_import_batches_undone_by_id_staff')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_batches'))
    )
    with op.batch_alter_table('import_batches', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_import_batches_file_sha256'), ['file_sha256'], unique=False)

    op.create_table('saved_views',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('lead_filter', 'contact_filter', 'segment', name=op.f('ck_saved_views_kind'), native_enum=False, create_constraint=True, length=22), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('definition', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.ForeignKeyConstraint(['owner_id'], ['staff.id'], name=op.f('fk_saved_views_owner_id_staff')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_saved_views'))
    )
    with op.batch_alter_table('saved_views', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_saved_views_kind_name'), ['kind', 'name'], unique=True)

    op.create_table('suppressions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email_normalized', sa.String(length=320), nullable=False),
    sa.Column('reason', sa.Enum('unsubscribe', 'group_unsubscribe', 'bounce', 'spam_report', 'invalid', 'block', 'manual', name=op.f('ck_suppressions_reason'), native_enum=False, create_constraint=True, length=25), nullable=False),
    sa.Column('source', sa.String(length=40), nullable=False),
    sa.Column('details', sa.Text(), nullable=True),
    sa.Column('suppressed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['staff.id'], name=op.f('fk_suppressions_created_by_id_staff')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_suppressions'))
    )
    with op.batch_alter_table('suppressions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_suppressions_email_normalized_reason'), ['email_normalized', 'reason'], unique=True)

    op.create_table('template_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('template_id', sa.Integer(), nullable=False),
    sa.Column('version_number', sa.Integer(), nullable=False),
    sa.Column('subject', sa.String(length=500), nullable=False),
    sa.Column('html_body', sa.Text(), nullable=False),
    sa.Column('text_body', sa.Text(), nullable=True),
    sa.Column('variables', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['staff.id'], name=op.f('fk_template_versions_created_by_id_staff')),
    sa.ForeignKeyConstraint(['template_id'], ['templates.id'], name=op.f('fk_template_versions_template_id_templates')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_template_versions'))
    )
    with op.batch_alter_table('template_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_template_versions_template_id_version_number'), ['template_id', 'version_number'], unique=True)

    op.create_table('contacts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('stage', sa.Enum('inquiry', 'pre_screen', 'application', 'intake', 'records', 'approved', 'available', 'matched', 'clinic_screening', 'contracts', 'active_cycle', 'completed', 'deferred', 'withdrawn', 'unresponsive', 'disqualified', name=op.f('ck_contacts_stage'), native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('stage_changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deferred_until', sa.Date(), nullable=True),
    sa.Column('dq_reason_code', sa.String(length=60), nullable=True),
    sa.Column('preferred_contact_method', sa.String(length=20), nullable=True),
    sa.Column('date_of_birth', sa.Date(), nullable=True),
    sa.Column('height_cm', sa.Numeric(precision=5, scale=1), nullable=True),
    sa.Column('weight_kg', sa.Numeric(precision=5, scale=1), nullable=True),
    sa.Column('address_line1', sa.String(length=200), nullable=True),
    sa.Column('address_line2', sa.String(length=200), nullable=True),
    sa.Column('city', sa.String(length=100), nullable=True),
    sa.Column('postal_code', sa.String(length=20), nullable=True),
    sa.Column('country', sa.String(length=2), nullable=False),
    sa.Column('referrer', sa.String(length=200), nullable=True),
    sa.Column('email_consent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('sms_consent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('replied_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('profile', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('assigned_to_id', sa.Integer(), nullable=True),
    sa.Column('merged_into_id', sa.Integer(), nullable=True),
    sa.Column('archived_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('import_batch_id', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('first_name', sa.String(length=100), server_default='', nullable=False),
    sa.Column('last_name', sa.String(length=100), server_default='', nullable=False),
    sa.Column('email', sa.String(length=320), nullable=True),
    sa.Column('email_normalized', sa.String(length=320), nullable=True),
    sa.Column('phone_e164', sa.String(length=20), nullable=True),
    sa.Column('applicant_type', sa.Enum('egg_donor', 'gestational_carrier', 'other', name=op.f('ck_contacts_applicant_type'), native_enum=False, create_constraint=True, length=27), nullable=False),
    sa.Column('source', sa.Enum('website', 'facebook_instagram', 'google', 'referral', 'phone', 'clinic', 'other_agency', 'returning', 'event', 'import', 'other', name=op.f('ck_contacts_source'), native_enum=False, create_constraint=True, length=26), nullable=False),
    sa.Column('state', sa.String(length=2), nullable=True),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.CheckConstraint('email_normalized IS NOT NULL OR phone_e164 IS NOT NULL', name=op.f('ck_contacts_reachable')),
    sa.CheckConstraint('merged_into_id IS NULL OR merged_into_id <> id', name=op.f('ck_contacts_merge_self')),
    sa.ForeignKeyConstraint(['assigned_to_id'], ['staff.id'], name=op.f('fk_contacts_assigned_to_id_staff')),
    sa.ForeignKeyConstraint(['created_by_id'], ['staff.id'], name=op.f('fk_contacts_created_by_id_staff')),
    sa.ForeignKeyConstraint(['import_batch_id'], ['import_batches.id'], name=op.f('fk_contacts_import_batch_id_import_batches')),
    sa.ForeignKeyConstraint(['merged_into_id'], ['contacts.id'], name=op.f('fk_contacts_merged_into_id_contacts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contacts'))
    )
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contacts_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_contacts_import_batch_id'), ['import_batch_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_contacts_last_name_first_name'), ['last_name', 'first_name'], unique=False)
        batch_op.create_index(batch_op.f('ix_contacts_phone_e164'), ['phone_e164'], unique=False)
        batch_op.create_index(batch_op.f('ix_contacts_stage_updated_at'), ['stage', 'updated_at'], unique=False)
        batch_op.create_index('uq_contacts_active_email', ['email_normalized'], unique=True, sqlite_where=sa.text('merged_into_id IS NULL AND archived_at IS NULL'), postgresql_where=sa.text('merged_into_id IS NULL AND archived_at IS NULL'))

    op.create_table('drip_steps',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('email', 'wait', name=op.f('ck_drip_steps_kind'), native_enum=False, create_constraint=True, length=13), nullable=False),
    sa.Column('delay_days', sa.Integer(), nullable=False),
    sa.Column('delay_from', sa.Enum('enrolment', 'previous_step', name=op.f('ck_drip_steps_delay_from'), native_enum=False, create_constraint=True, length=21), nullable=False),
    sa.Column('send_time', sa.Time(), nullable=True),
    sa.Column('template_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("kind = 'wait' OR template_id IS NOT NULL", name=op.f('ck_drip_steps_email_has_template')),
    sa.CheckConstraint('delay_days >= 0', name=op.f('ck_drip_steps_delay')),
    sa.ForeignKeyConstraint(['campaign_id'], ['drip_campaigns.id'], name=op.f('fk_drip_steps_campaign_id_drip_campaigns'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['template_id'], ['templates.id'], name=op.f('fk_drip_steps_template_id_templates')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_drip_steps'))
    )
    with op.batch_alter_table('drip_steps', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_drip_steps_campaign_id_position'), ['campaign_id', 'position'], unique=True)

    op.create_table('import_batch_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('entity_type', sa.String(length=40), nullable=False),
    sa.Column('entity_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=10), nullable=False),
    sa.Column('previous_values', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.ForeignKeyConstraint(['batch_id'], ['import_batches.id'], name=op.f('fk_import_batch_changes_batch_id_import_batches'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_batch_changes'))
    )
    with op.batch_alter_table('import_batch_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_import_batch_changes_batch_id_entity_type_entity_id'), ['batch_id', 'entity_type', 'entity_id'], unique=False)

    op.create_table('mass_emails',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.Enum('marketing', 'service', name=op.f('ck_mass_emails_kind'), native_enum=False, create_constraint=True, length=17), nullable=False),
    sa.Column('status', sa.Enum('draft', 'scheduled', 'sending', 'paused', 'sent', 'cancelled', name=op.f('ck_mass_emails_status'), native_enum=False, create_constraint=True, length=17), nullable=False),
    sa.Column('template_version_id', sa.Integer(), nullable=True),
    sa.Column('subject', sa.String(length=500), nullable=True),
    sa.Column('html_body', sa.Text(), nullable=True),
    sa.Column('text_body', sa.Text(), nullable=True),
    sa.Column('segment', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('saved_view_id', sa.Integer(), nullable=True),
    sa.Column('sender_identity_id', sa.Integer(), nullable=True),
    sa.Column('scheduled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('use_send_window', sa.Boolean(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('recipient_count', sa.Integer(), nullable=False),
    sa.Column('served_count', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('window_start', sa.Time(), nullable=False),
    sa.Column('window_end', sa.Time(), nullable=False),
    sa.Column('window_weekdays', sa.String(length=7), nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['staff.id'], name=op.f('fk_mass_emails_created_by_id_staff')),
    sa.ForeignKeyConstraint(['saved_view_id'], ['saved_views.id'], name=op.f('fk_mass_emails_saved_view_id_saved_views')),
    sa.ForeignKeyConstraint(['sender_identity_id'], ['sender_identities.id'], name=op.f('fk_mass_emails_sender_identity_id_sender_identities')),
    sa.ForeignKeyConstraint(['template_version_id'], ['template_versions.id'], name=op.f('fk_mass_emails_template_version_id_template_versions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mass_emails'))
    )
    with op.batch_alter_table('mass_emails', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mass_emails_status'), ['status'], unique=False)

    op.create_table('clients',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_clients_contact_id_contacts')),
    sa.ForeignKeyConstraint(['created_by_id'], ['staff.id'], name=op.f('fk_clients_created_by_id_staff')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_clients')),
    sa.UniqueConstraint('contact_id', name=op.f('uq_clients_contact_id'))
    )
    op.create_table('contact_documents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('file_name', sa.String(length=300), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('media_type', sa.String(length=120), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('removed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_contact_documents_contact_id_contacts')),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['staff.id'], name=op.f('fk_contact_documents_uploaded_by_id_staff')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contact_documents'))
    )
    with op.batch_alter_table('contact_documents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contact_documents_contact_id'), ['contact_id'], unique=False)

    op.create_table('contact_notes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['staff.id'], name=op.f('fk_contact_notes_author_id_staff')),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_contact_notes_contact_id_contacts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contact_notes'))
    )
    with op.batch_alter_table('contact_notes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contact_notes_contact_id'), ['contact_id'], unique=False)

    op.create_table('leads',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('new', 'in_review', 'promoted', 'ignored', name=op.f('ck_leads_status'), native_enum=False, create_constraint=True, length=17), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ignore_reason', sa.Text(), nullable=True),
    sa.Column('archived_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('raw_form_data', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=True),
    sa.Column('import_batch_id', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('first_name', sa.String(length=100), server_default='', nullable=False),
    sa.Column('last_name', sa.String(length=100), server_default='', nullable=False),
    sa.Column('email', sa.String(length=320), nullable=True),
    sa.Column('email_normalized', sa.String(length=320), nullable=True),
    sa.Column('phone_e164', sa.String(length=20), nullable=True),
    sa.Column('applicant_type', sa.Enum('egg_donor', 'gestational_carrier', 'other', name=op.f('ck_leads_applicant_type'), native_enum=False, create_constraint=True, length=27), nullable=False),
    sa.Column('source', sa.Enum('website', 'facebook_instagram', 'google', 'referral', 'phone', 'clinic', 'other_agency', 'returning', 'event', 'import', 'other', name=op.f('ck_leads_source'), native_enum=False, create_constraint=True, length=26), nullable=False),
    sa.Column('state', sa.String(length=2), nullable=True),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.CheckConstraint('email_normalized IS NOT NULL OR phone_e164 IS NOT NULL', name=op.f('ck_leads_reachable')),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_leads_contact_id_contacts')),
    sa.ForeignKeyConstraint(['created_by_id'], ['staff.id'], name=op.f('fk_leads_created_by_id_staff')),
    sa.ForeignKeyConstraint(['import_batch_id'], ['import_batches.id'], name=op.f('fk_leads_import_batch_id_import_batches')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_leads'))
    )
    with op.batch_alter_table('leads', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_leads_email_normalized'), ['email_normalized'], unique=False)
        batch_op.create_index(batch_op.f('ix_leads_import_batch_id'), ['import_batch_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_leads_last_name_first_name'), ['last_name', 'first_name'], unique=False)
        batch_op.create_index(batch_op.f('ix_leads_phone_e164'), ['phone_e164'], unique=False)
        batch_op.create_index(batch_op.f('ix_leads_received_at'), ['received_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_leads_status_received_at'), ['status', 'received_at'], unique=False)

    op.create_table('screening_evaluations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('rule_set_id', sa.Integer(), nullable=False),
    sa.Column('evaluated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('outcome', sa.Enum('pass', 'dq', 'flag', 'defer', 'needs_data', name=op.f('ck_screening_evaluations_outcome'), native_enum=False, create_constraint=True, length=18), nullable=False),
    sa.Column('eligible_on', sa.Date(), nullable=True),
    sa.Column('results', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_screening_evaluations_contact_id_contacts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['rule_set_id'], ['dq_rule_sets.id'], name=op.f('fk_screening_evaluations_rule_set_id_dq_rule_sets')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_screening_evaluations'))
    )
    with op.batch_alter_table('screening_evaluations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_screening_evaluations_contact_id_evaluated_at'), ['contact_id', 'evaluated_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_screening_evaluations_outcome'), ['outcome'], unique=False)

    op.create_table('cases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_number', sa.String(length=40), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('coordinator_id', sa.Integer(), nullable=True),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('status', sa.Enum('open', 'on_hold', 'closed', name=op.f('ck_cases_status'), native_enum=False, create_constraint=True, length=15), nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_cases_client_id_clients')),
    sa.ForeignKeyConstraint(['coordinator_id'], ['staff.id'], name=op.f('fk_cases_coordinator_id_staff')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cases')),
    sa.UniqueConstraint('case_number', name=op.f('uq_cases_case_number'))
    )
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cases_client_id'), ['client_id'], unique=False)

    op.create_table('enrolments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('lead_id', sa.Integer(), nullable=True),
    sa.Column('contact_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.Enum('active', 'completed', 'stopped', name=op.f('ck_enrolments_status'), native_enum=False, create_constraint=True, length=17), nullable=False),
    sa.Column('enrolled_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('stopped_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('stop_reason', sa.String(length=200), nullable=True),
    sa.Column('enrolled_by_id', sa.Integer(), nullable=True),
    sa.Column('import_batch_id', sa.Integer(), nullable=True),
    sa.Column('custom_variables', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.CheckConstraint('(lead_id IS NULL) <> (contact_id IS NULL)', name=op.f('ck_enrolments_one_person')),
    sa.ForeignKeyConstraint(['campaign_id'], ['drip_campaigns.id'], name=op.f('fk_enrolments_campaign_id_drip_campaigns')),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_enrolments_contact_id_contacts')),
    sa.ForeignKeyConstraint(['enrolled_by_id'], ['staff.id'], name=op.f('fk_enrolments_enrolled_by_id_staff')),
    sa.ForeignKeyConstraint(['import_batch_id'], ['import_batches.id'], name=op.f('fk_enrolments_import_batch_id_import_batches')),
    sa.ForeignKeyConstraint(['lead_id'], ['leads.id'], name=op.f('fk_enrolments_lead_id_leads')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_enrolments'))
    )
    with op.batch_alter_table('enrolments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_enrolments_campaign_id_contact_id'), ['campaign_id', 'contact_id'], unique=True)
        batch_op.create_index(batch_op.f('ix_enrolments_campaign_id_lead_id'), ['campaign_id', 'lead_id'], unique=True)
        batch_op.create_index(batch_op.f('ix_enrolments_status'), ['status'], unique=False)

    op.create_table('mass_email_recipients',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('mass_email_id', sa.Integer(), nullable=False),
    sa.Column('lead_id', sa.Integer(), nullable=True),
    sa.Column('contact_id', sa.Integer(), nullable=True),
    sa.Column('email_normalized', sa.String(length=320), nullable=False),
    sa.Column('custom_variables', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.CheckConstraint('lead_id IS NOT NULL OR contact_id IS NOT NULL', name=op.f('ck_mass_email_recipients_person')),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_mass_email_recipients_contact_id_contacts')),
    sa.ForeignKeyConstraint(['lead_id'], ['leads.id'], name=op.f('fk_mass_email_recipients_lead_id_leads')),
    sa.ForeignKeyConstraint(['mass_email_id'], ['mass_emails.id'], name=op.f('fk_mass_email_recipients_mass_email_id_mass_emails'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mass_email_recipients'))
    )
    with op.batch_alter_table('mass_email_recipients', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mass_email_recipients_mass_email_id_email_normalized'), ['mass_email_id', 'email_normalized'], unique=True)

    op.create_table('person_tags',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tag_id', sa.Integer(), nullable=False),
    sa.Column('lead_id', sa.Integer(), nullable=True),
    sa.Column('contact_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('(lead_id IS NULL) <> (contact_id IS NULL)', name=op.f('ck_person_tags_one_person')),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_person_tags_contact_id_contacts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['lead_id'], ['leads.id'], name=op.f('fk_person_tags_lead_id_leads'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tag_id'], ['tags.id'], name=op.f('fk_person_tags_tag_id_tags'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_person_tags'))
    )
    with op.batch_alter_table('person_tags', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_person_tags_tag_id_contact_id'), ['tag_id', 'contact_id'], unique=True)
        batch_op.create_index(batch_op.f('ix_person_tags_tag_id_lead_id'), ['tag_id', 'lead_id'], unique=True)

    op.create_table('enrolment_steps',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('enrolment_id', sa.Integer(), nullable=False),
    sa.Column('step_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('pending', 'sent', 'skipped', 'failed', name=op.f('ck_enrolment_steps_status'), native_enum=False, create_constraint=True, length=15), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['enrolment_id'], ['enrolments.id'], name=op.f('fk_enrolment_steps_enrolment_id_enrolments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['step_id'], ['drip_steps.id'], name=op.f('fk_enrolment_steps_step_id_drip_steps')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_enrolment_steps'))
    )
    with op.batch_alter_table('enrolment_steps', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_enrolment_steps_enrolment_id_step_id'), ['enrolment_id', 'step_id'], unique=True)

    op.create_table('outbox_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('origin', sa.Enum('drip', 'mass_email', 'single', name=op.f('ck_outbox_messages_origin'), native_enum=False, create_constraint=True, length=18), nullable=False),
    sa.Column('kind', sa.Enum('marketing', 'service', name=op.f('ck_outbox_messages_kind'), native_enum=False, create_constraint=True, length=17), nullable=False),
    sa.Column('enrolment_step_id', sa.Integer(), nullable=True),
    sa.Column('mass_email_recipient_id', sa.Integer(), nullable=True),
    sa.Column('lead_id', sa.Integer(), nullable=True),
    sa.Column('contact_id', sa.Integer(), nullable=True),
    sa.Column('to_email', sa.String(length=320), nullable=False),
    sa.Column('to_email_normalized', sa.String(length=320), nullable=False),
    sa.Column('to_name', sa.String(length=200), nullable=True),
    sa.Column('template_version_id', sa.Integer(), nullable=True),
    sa.Column('render_variables', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('subject', sa.String(length=500), nullable=True),
    sa.Column('html_body', sa.Text(), nullable=True),
    sa.Column('text_body', sa.Text(), nullable=True),
    sa.Column('sender_identity_id', sa.Integer(), nullable=True),
    sa.Column('category', sa.String(length=255), nullable=True),
    sa.Column('status', sa.Enum('queued', 'claimed', 'sending', 'sent', 'failed', 'suppressed', 'cancelled', 'uncertain', 'saved_locally', name=op.f('ck_outbox_messages_status'), native_enum=False, create_constraint=True, length=21), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('lease_owner', sa.String(length=120), nullable=True),
    sa.Column('lease_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('sendgrid_message_id', sa.String(length=120), nullable=True),
    sa.Column('status_reason', sa.Text(), nullable=True),
    sa.Column('local_path', sa.String(length=1000), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.CheckConstraint("(origin = 'drip') = (enrolment_step_id IS NOT NULL)", name=op.f('ck_outbox_messages_drip_has_step')),
    sa.CheckConstraint("(origin = 'mass_email') = (mass_email_recipient_id IS NOT NULL)", name=op.f('ck_outbox_messages_mass_email_has_recipient')),
    sa.CheckConstraint('attempts >= 0', name=op.f('ck_outbox_messages_attempts')),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_outbox_messages_contact_id_contacts')),
    sa.ForeignKeyConstraint(['enrolment_step_id'], ['enrolment_steps.id'], name=op.f('fk_outbox_messages_enrolment_step_id_enrolment_steps')),
    sa.ForeignKeyConstraint(['lead_id'], ['leads.id'], name=op.f('fk_outbox_messages_lead_id_leads')),
    sa.ForeignKeyConstraint(['mass_email_recipient_id'], ['mass_email_recipients.id'], name=op.f('fk_outbox_messages_mass_email_recipient_id_mass_email_recipients')),
    sa.ForeignKeyConstraint(['sender_identity_id'], ['sender_identities.id'], name=op.f('fk_outbox_messages_sender_identity_id_sender_identities')),
    sa.ForeignKeyConstraint(['template_version_id'], ['template_versions.id'], name=op.f('fk_outbox_messages_template_version_id_template_versions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_messages')),
    sa.UniqueConstraint('enrolment_step_id', name=op.f('uq_outbox_messages_enrolment_step_id')),
    sa.UniqueConstraint('mass_email_recipient_id', name=op.f('uq_outbox_messages_mass_email_recipient_id'))
    )
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outbox_messages_contact_id'), ['contact_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbox_messages_lead_id'), ['lead_id'], unique=False)
        batch_op.create_index('ix_outbox_messages_lease_until_open', ['lease_until'], unique=False, sqlite_where=sa.text("status IN ('claimed', 'sending')"), postgresql_where=sa.text("status IN ('claimed', 'sending')"))
        batch_op.create_index(batch_op.f('ix_outbox_messages_status_due_at'), ['status', 'due_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbox_messages_to_email_normalized'), ['to_email_normalized'], unique=False)

    op.create_table('contact_emails',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('direction', sa.Enum('inbound', 'outbound', name=op.f('ck_contact_emails_direction'), native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('subject', sa.String(length=500), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('logged_by_id', sa.Integer(), nullable=True),
    sa.Column('outbox_message_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_contact_emails_contact_id_contacts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['logged_by_id'], ['staff.id'], name=op.f('fk_contact_emails_logged_by_id_staff')),
    sa.ForeignKeyConstraint(['outbox_message_id'], ['outbox_messages.id'], name=op.f('fk_contact_emails_outbox_message_id_outbox_messages')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contact_emails'))
    )
    with op.batch_alter_table('contact_emails', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contact_emails_contact_id'), ['contact_id'], unique=False)




def downgrade() -> None:

    with op.batch_alter_table('contact_emails', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contact_emails_contact_id'))

    op.drop_table('contact_emails')
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_messages_to_email_normalized'))
        batch_op.drop_index(batch_op.f('ix_outbox_messages_status_due_at'))
        batch_op.drop_index('ix_outbox_messages_lease_until_open', sqlite_where=sa.text("status IN ('claimed', 'sending')"), postgresql_where=sa.text("status IN ('claimed', 'sending')"))
        batch_op.drop_index(batch_op.f('ix_outbox_messages_lead_id'))
        batch_op.drop_index(batch_op.f('ix_outbox_messages_contact_id'))

    op.drop_table('outbox_messages')
    with op.batch_alter_table('enrolment_steps', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_enrolment_steps_enrolment_id_step_id'))

    op.drop_table('enrolment_steps')
    with op.batch_alter_table('person_tags', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_person_tags_tag_id_lead_id'))
        batch_op.drop_index(batch_op.f('ix_person_tags_tag_id_contact_id'))

    op.drop_table('person_tags')
    with op.batch_alter_table('mass_email_recipients', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mass_email_recipients_mass_email_id_email_normalized'))

    op.drop_table('mass_email_recipients')
    with op.batch_alter_table('enrolments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_enrolments_status'))
        batch_op.drop_index(batch_op.f('ix_enrolments_campaign_id_lead_id'))
        batch_op.drop_index(batch_op.f('ix_enrolments_campaign_id_contact_id'))

    op.drop_table('enrolments')
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cases_client_id'))

    op.drop_table('cases')
    with op.batch_alter_table('screening_evaluations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_screening_evaluations_outcome'))
        batch_op.drop_index(batch_op.f('ix_screening_evaluations_contact_id_evaluated_at'))

    op.drop_table('screening_evaluations')
    with op.batch_alter_table('leads', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_leads_status_received_at'))
        batch_op.drop_index(batch_op.f('ix_leads_received_at'))
        batch_op.drop_index(batch_op.f('ix_leads_phone_e164'))
        batch_op.drop_index(batch_op.f('ix_leads_last_name_first_name'))
        batch_op.drop_index(batch_op.f('ix_leads_import_batch_id'))
        batch_op.drop_index(batch_op.f('ix_leads_email_normalized'))

    op.drop_table('leads')
    with op.batch_alter_table('contact_notes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contact_notes_contact_id'))

    op.drop_table('contact_notes')
    with op.batch_alter_table('contact_documents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contact_documents_contact_id'))

    op.drop_table('contact_documents')
    op.drop_table('clients')
    with op.batch_alter_table('mass_emails', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mass_emails_status'))

    op.drop_table('mass_emails')
    with op.batch_alter_table('import_batch_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_import_batch_changes_batch_id_entity_type_entity_id'))

    op.drop_table('import_batch_changes')
    with op.batch_alter_table('drip_steps', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_drip_steps_campaign_id_position'))

    op.drop_table('drip_steps')
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.drop_index('uq_contacts_active_email', sqlite_where=sa.text('merged_into_id IS NULL AND archived_at IS NULL'), postgresql_where=sa.text('merged_into_id IS NULL AND archived_at IS NULL'))
        batch_op.drop_index(batch_op.f('ix_contacts_stage_updated_at'))
        batch_op.drop_index(batch_op.f('ix_contacts_phone_e164'))
        batch_op.drop_index(batch_op.f('ix_contacts_last_name_first_name'))
        batch_op.drop_index(batch_op.f('ix_contacts_import_batch_id'))
        batch_op.drop_index(batch_op.f('ix_contacts_created_at'))

    op.drop_table('contacts')
    with op.batch_alter_table('template_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_template_versions_template_id_version_number'))

    op.drop_table('template_versions')
    with op.batch_alter_table('suppressions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_suppressions_email_normalized_reason'))

    op.drop_table('suppressions')
    with op.batch_alter_table('saved_views', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_saved_views_kind_name'))

    op.drop_table('saved_views')
    with op.batch_alter_table('import_batches', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_import_batches_file_sha256'))

    op.drop_table('import_batches')
    with op.batch_alter_table('drip_campaigns', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_drip_campaigns_status'))

    op.drop_table('drip_campaigns')
    with op.batch_alter_table('dq_rule_sets', schema=None) as batch_op:
        batch_op.drop_index('uq_dq_rule_sets_current', sqlite_where=sa.text('is_current'), postgresql_where=sa.text('is_current'))
        batch_op.drop_index(batch_op.f('ix_dq_rule_sets_applicant_type_version_number'))

    op.drop_table('dq_rule_sets')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_log_occurred_at'))
        batch_op.drop_index(batch_op.f('ix_audit_log_entity_type_entity_id_occurred_at'))

    op.drop_table('audit_log')
    op.drop_table('templates')
    op.drop_table('tags')
    op.drop_table('staff')
    op.drop_table('sender_identities')
    op.drop_table('import_mappings')
    op.drop_table('app_state')
    op.drop_table('agency_settings')


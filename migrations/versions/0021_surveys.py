"""questionnaire rounds to member enterprises (LC-2), by a base or a bureau across its bases;
bureau-wide guidance (LC-4): a bureau publication copied to every base of its jurisdiction

Revision ID: 0021_surveys
Revises: 0020_rollup
Create Date: 2026-12-07 02:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0021_surveys'
down_revision = '0020_rollup'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('bureau_publication',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('bureau_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('sector', sa.String(length=120), nullable=False),
    sa.Column('published_at', sa.DateTime(), nullable=False),
    sa.Column('published_by_id', sa.Integer(), nullable=True),
    sa.Column('withdrawn_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("kind IN ('notice', 'guideline', 'case')", name=op.f('ck_bureau_publication_kind')),
    sa.ForeignKeyConstraint(['bureau_id'], ['bureau.id'], name=op.f('fk_bureau_publication_bureau_id_bureau'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['published_by_id'], ['user.id'], name=op.f('fk_bureau_publication_published_by_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bureau_publication'))
    )
    with op.batch_alter_table('bureau_publication', schema=None) as batch_op:
        batch_op.create_index('ix_bureau_publication_bureau_published', ['bureau_id', 'published_at'], unique=False)

    op.create_table('bureau_survey_round',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('bureau_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('open_until', sa.Date(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['bureau_id'], ['bureau.id'], name=op.f('fk_bureau_survey_round_bureau_id_bureau'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_bureau_survey_round_created_by_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bureau_survey_round'))
    )
    with op.batch_alter_table('bureau_survey_round', schema=None) as batch_op:
        batch_op.create_index('ix_bureau_survey_round_bureau_created', ['bureau_id', 'created_at'], unique=False)

    op.create_table('survey_round',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('open_until', sa.Date(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.Column('reminded_on', sa.Date(), nullable=True),
    sa.Column('bureau_round_id', sa.Integer(), nullable=True),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['bureau_round_id'], ['bureau_survey_round.id'], name=op.f('fk_survey_round_bureau_round_id_bureau_survey_round'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_survey_round_created_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], name=op.f('fk_survey_round_tenant_id_tenant'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_round'))
    )
    with op.batch_alter_table('survey_round', schema=None) as batch_op:
        batch_op.create_index('ix_survey_round_tenant_bureau_round', ['tenant_id', 'bureau_round_id'], unique=False)
        batch_op.create_index('ix_survey_round_tenant_created', ['tenant_id', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_survey_round_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('survey_answer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('employees', sa.Integer(), nullable=False),
    sa.Column('secrets_identified', sa.Integer(), nullable=False),
    sa.Column('patents', sa.Integer(), nullable=False),
    sa.Column('confidentiality_signed', sa.Integer(), nullable=False),
    sa.Column('noncompete_signed', sa.Integer(), nullable=False),
    sa.Column('key_posts_tiered', sa.Integer(), nullable=False),
    sa.Column('incidents_suffered', sa.Integer(), nullable=False),
    sa.Column('incidents_caused', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=True),
    sa.Column('submitted_at', sa.DateTime(), nullable=True),
    sa.Column('submitted_by_id', sa.Integer(), nullable=True),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("status IN ('pending', 'draft', 'submitted')", name=op.f('ck_survey_answer_status')),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprise.id'], name=op.f('fk_survey_answer_enterprise_id_enterprise'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['round_id'], ['survey_round.id'], name=op.f('fk_survey_answer_round_id_survey_round'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['submitted_by_id'], ['user.id'], name=op.f('fk_survey_answer_submitted_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], name=op.f('fk_survey_answer_tenant_id_tenant'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_answer')),
    sa.UniqueConstraint('tenant_id', 'round_id', 'enterprise_id', name=op.f('uq_survey_answer_tenant_id_round_id_enterprise_id'))
    )
    with op.batch_alter_table('survey_answer', schema=None) as batch_op:
        batch_op.create_index('ix_survey_answer_tenant_enterprise', ['tenant_id', 'enterprise_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_survey_answer_tenant_id'), ['tenant_id'], unique=False)
        batch_op.create_index('ix_survey_answer_tenant_round_status', ['tenant_id', 'round_id', 'status'], unique=False)

    with op.batch_alter_table('publication', schema=None) as batch_op:
        batch_op.add_column(sa.Column('bureau_publication_id', sa.Integer(), nullable=True))
        batch_op.create_index('ix_publication_tenant_bureau_publication', ['tenant_id', 'bureau_publication_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_publication_bureau_publication_id_bureau_publication'), 'bureau_publication', ['bureau_publication_id'], ['id'], ondelete='SET NULL')

    with op.batch_alter_table('survey_year', schema=None) as batch_op:
        batch_op.add_column(sa.Column('survey_round_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_survey_year_survey_round_id_survey_round'), 'survey_round', ['survey_round_id'], ['id'], ondelete='SET NULL')



def downgrade():
    with op.batch_alter_table('survey_year', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_survey_year_survey_round_id_survey_round'), type_='foreignkey')
        batch_op.drop_column('survey_round_id')

    with op.batch_alter_table('publication', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_publication_bureau_publication_id_bureau_publication'), type_='foreignkey')
        batch_op.drop_index('ix_publication_tenant_bureau_publication')
        batch_op.drop_column('bureau_publication_id')

    with op.batch_alter_table('survey_answer', schema=None) as batch_op:
        batch_op.drop_index('ix_survey_answer_tenant_round_status')
        batch_op.drop_index(batch_op.f('ix_survey_answer_tenant_id'))
        batch_op.drop_index('ix_survey_answer_tenant_enterprise')

    op.drop_table('survey_answer')
    with op.batch_alter_table('survey_round', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_survey_round_tenant_id'))
        batch_op.drop_index('ix_survey_round_tenant_created')
        batch_op.drop_index('ix_survey_round_tenant_bureau_round')

    op.drop_table('survey_round')
    with op.batch_alter_table('bureau_survey_round', schema=None) as batch_op:
        batch_op.drop_index('ix_bureau_survey_round_bureau_created')

    op.drop_table('bureau_survey_round')
    with op.batch_alter_table('bureau_publication', schema=None) as batch_op:
        batch_op.drop_index('ix_bureau_publication_bureau_published')

    op.drop_table('bureau_publication')

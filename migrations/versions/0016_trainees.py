"""who was trained, by name: a trainee row per named person of an attendance, so that distinct
trained staff per member are counted in SQL; attendance names no longer cut at 500 characters

Revision ID: 0016_trainees
Revises: 0015_tenant_standard
Create Date: 2026-12-02 00:46:31

"""
import re
import unicodedata

import sqlalchemy as sa
from alembic import op

revision = '0016_trainees'
down_revision = '0015_tenant_standard'
branch_labels = None
depends_on = None

# tenants/training/names.py as of this revision, frozen here: the rows written below must not
# change meaning when that module changes later.
_SEPARATORS = re.compile(r"[,;、\n\r]+")
_DOTS = re.compile(r"[·•‧・∙⋅]")
_CJK = r"[\u2e80-\u9fff\uf900-\ufaff\U00020000-\U0003ffff]"
_SPACE_BY_CJK = re.compile(rf"(?<={_CJK})\s+|\s+(?={_CJK})")
_SPACES = re.compile(r"\s+")


def _split(text):
    keys = []
    for part in _SEPARATORS.split(unicodedata.normalize("NFKC", text or "")):
        name = _SPACE_BY_CJK.sub("", _DOTS.sub("·", unicodedata.normalize("NFKC", part)).strip())
        name = _SPACES.sub(" ", name).casefold()[:64]
        if name:
            keys.append(name)
    return list(dict.fromkeys(keys))


def upgrade():
    op.create_table('trainee',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('attendance_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['attendance_id'], ['attendance.id'], name=op.f('fk_trainee_attendance_id_attendance'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], name=op.f('fk_trainee_tenant_id_tenant'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_trainee')),
    sa.UniqueConstraint('tenant_id', 'attendance_id', 'name', name=op.f('uq_trainee_tenant_id_attendance_id_name'))
    )
    with op.batch_alter_table('trainee', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_trainee_tenant_id'), ['tenant_id'], unique=False)

    with op.batch_alter_table('attendance', schema=None) as batch_op:
        batch_op.alter_column('key_staff',
               existing_type=sa.VARCHAR(length=500),
               type_=sa.Text(),
               existing_nullable=False)

    # The names already recorded ("key staff") are people trained at that event: count them.
    conn = op.get_bind()
    attendance = sa.table('attendance', sa.column('id'), sa.column('tenant_id'), sa.column('key_staff'))
    trainee = sa.table('trainee', sa.column('attendance_id'), sa.column('tenant_id'), sa.column('name'))
    rows = [{"attendance_id": a.id, "tenant_id": a.tenant_id, "name": name}
            for a in conn.execute(sa.select(attendance).where(attendance.c.key_staff != ''))
            for name in _split(a.key_staff)]
    for start in range(0, len(rows), 1000):
        conn.execute(trainee.insert(), rows[start:start + 1000])


def downgrade():
    attendance = sa.table('attendance', sa.column('key_staff'))
    op.execute(attendance.update().where(sa.func.length(attendance.c.key_staff) > 500)
               .values(key_staff=sa.func.substr(attendance.c.key_staff, 1, 500)))
    with op.batch_alter_table('attendance', schema=None) as batch_op:
        batch_op.alter_column('key_staff',
               existing_type=sa.Text(),
               type_=sa.VARCHAR(length=500),
               existing_nullable=False)

    with op.batch_alter_table('trainee', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_trainee_tenant_id'))

    op.drop_table('trainee')

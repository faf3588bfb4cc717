"""Agreements as records: their events, signatories, texts and citations; a source's account
(one government's, joint, or a report); a commitment's agreement and paragraph.

SQLite rebuilds a table to add a column that is not nullable or a check constraint, and a
rebuild drops the table's triggers and fails on triggers elsewhere that name it: the triggers
are kept aside while the tables change and created again after.
"""

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models

KEPT_TRIGGERS = []


def keep_sqlite_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' ORDER BY rowid")
        KEPT_TRIGGERS[:] = cursor.fetchall()
    for name, _ in KEPT_TRIGGERS:
        schema_editor.execute(f'DROP TRIGGER "{name}"', params=None)


def restore_sqlite_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    for _, sql in KEPT_TRIGGERS:
        schema_editor.execute(sql, params=None)
    KEPT_TRIGGERS.clear()


class Migration(migrations.Migration):

    dependencies = [
        ('agreements', '0019_status_follow_guard'),
    ]

    operations = [
        migrations.RunPython(keep_sqlite_triggers, restore_sqlite_triggers),
        migrations.CreateModel(
            name='Agreement',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now, editable=False)),
                ('updated_at', models.DateTimeField(auto_now=True)),
                ('slug', models.SlugField(max_length=200, unique=True)),
                ('kind', models.CharField(choices=[('treaty', 'Treaty or convention'), ('agreement', 'Agreement'), ('memorandum', 'Memorandum'), ('joint-statement', 'Joint statement or declaration'), ('action-plan', 'Action plan'), ('fact-sheet', 'Fact sheet'), ('exchange-of-notes', 'Exchange of notes'), ('other', 'Other')], max_length=20)),
                ('title', models.CharField(help_text='In English.', max_length=300)),
                ('title_is_translation', models.BooleanField(default=False, help_text='Ticked when no official English title was found and the title is a translation.', verbose_name='title is our translation')),
                ('original_title', models.CharField(blank=True, help_text='Where known.', max_length=300, verbose_name='title in the original language')),
                ('original_language', models.CharField(blank=True, help_text="The original title's language, as a code: ja, it, fr.", max_length=10)),
                ('summary', models.TextField(blank=True, help_text='What it does, in our own words.')),
                ('binding', models.BooleanField(help_text='A treaty is; a joint statement is not.', verbose_name='legally binding')),
                ('date', models.DateField(verbose_name='signed or adopted on')),
                ('place', models.CharField(blank=True, help_text='Where it was signed or adopted.', max_length=200)),
                ('status', models.CharField(choices=[('signed', 'Signed or adopted'), ('in-force', 'In force'), ('terminated', 'Terminated'), ('superseded', 'Superseded')], default='signed', editable=False, help_text='That of its latest event that changes it: add a dated, sourced event to change it.', max_length=20)),
            ],
            options={
                'ordering': ['-date', '-id'],
            },
        ),
        migrations.CreateModel(
            name='AgreementCitation',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('excerpt', models.CharField(blank=True, help_text='A short quotation, 25 words at most.', max_length=300)),
            ],
            options={
                'ordering': ['id'],
            },
        ),
        migrations.CreateModel(
            name='AgreementEvent',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('date', models.DateField()),
                ('kind', models.CharField(choices=[('signature', 'Signed'), ('adoption', 'Adopted'), ('ratification', 'Ratified or approved by a party'), ('notification', 'Notes exchanged or notified'), ('entry-into-force', 'Entered into force'), ('amendment', 'Amended'), ('termination', 'Terminated'), ('supersession', 'Superseded')], max_length=20)),
                ('note', models.CharField(blank=True, max_length=300)),
            ],
            options={
                'ordering': ['date', 'id'],
            },
        ),
        migrations.CreateModel(
            name='AgreementText',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('language', models.CharField(help_text='A language code: en, ja, it.', max_length=10)),
                ('kind', models.CharField(choices=[('published', 'Published text'), ('authentic', 'Authentic text'), ('official-translation', 'Official translation'), ('provisional-translation', 'Provisional translation'), ('unofficial-translation', 'Unofficial translation')], default='published', max_length=30)),
                ('url', models.URLField(max_length=500, verbose_name='URL')),
                ('title', models.CharField(blank=True, help_text='The title as this text gives it.', max_length=300)),
            ],
            options={
                'ordering': ['language', 'id'],
            },
        ),
        migrations.CreateModel(
            name='Signatory',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(blank=True, help_text='When not a leader of the record.', max_length=200)),
                ('office', models.CharField(blank=True, help_text='The office held when signing.', max_length=200)),
            ],
            options={
                'verbose_name_plural': 'signatories',
                'ordering': ['id'],
            },
        ),
        migrations.AddField(
            model_name='commitment',
            name='paragraph',
            field=models.CharField(blank=True, db_default='', help_text='Where in that text: a paragraph or section number.', max_length=50),
        ),
        migrations.AddField(
            model_name='source',
            name='issuer',
            field=models.ForeignKey(blank=True, help_text="The government whose account it is; only for one government's account.", null=True, on_delete=django.db.models.deletion.PROTECT, related_name='accounts', to='agreements.country'),
        ),
        migrations.AddField(
            model_name='source',
            name='kind',
            field=models.CharField(choices=[('report', 'Report'), ('official', "One government's account"), ('joint', 'Joint document')], db_default='report', default='report', help_text="A government's own readout or statement, a document the parties issued together, or a report by anyone else (news, analysis).", max_length=10, verbose_name='account'),
        ),
        migrations.AddConstraint(
            model_name='source',
            constraint=models.CheckConstraint(condition=models.Q(('kind__in', ['report', 'official', 'joint'])), name='source_kind_known'),
        ),
        migrations.AddConstraint(
            model_name='source',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('issuer__isnull', False), ('kind', 'official')), models.Q(models.Q(('kind', 'official'), _negated=True), ('issuer__isnull', True)), _connector='OR'), name='source_issuer_only_for_official_accounts', violation_error_message="One government's account names that government; other sources name none."),
        ),
        migrations.AddField(
            model_name='agreement',
            name='amends',
            field=models.ManyToManyField(blank=True, help_text='Agreements it changes.', related_name='amended_by', to='agreements.agreement'),
        ),
        migrations.AddField(
            model_name='agreement',
            name='meeting',
            field=models.ForeignKey(blank=True, help_text='The meeting at which it was signed or adopted, if it is recorded.', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='agreements', to='agreements.meeting'),
        ),
        migrations.AddField(
            model_name='agreement',
            name='parties',
            field=models.ManyToManyField(help_text='Two or more; the EU may be one.', related_name='agreements', to='agreements.country'),
        ),
        migrations.AddField(
            model_name='agreement',
            name='supersedes',
            field=models.ManyToManyField(blank=True, help_text='Agreements it replaces.', related_name='superseded_by', to='agreements.agreement'),
        ),
        migrations.AddField(
            model_name='commitment',
            name='agreement',
            field=models.ForeignKey(blank=True, help_text='The agreed text it comes from, if it is recorded.', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='commitments', to='agreements.agreement'),
        ),
        migrations.AddField(
            model_name='agreementcitation',
            name='agreement',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='citations', to='agreements.agreement'),
        ),
        migrations.AddField(
            model_name='agreementcitation',
            name='source',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, to='agreements.source'),
        ),
        migrations.AddField(
            model_name='agreement',
            name='sources',
            field=models.ManyToManyField(related_name='agreements', through='agreements.AgreementCitation', to='agreements.source'),
        ),
        migrations.AddField(
            model_name='agreementevent',
            name='agreement',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='events', to='agreements.agreement'),
        ),
        migrations.AddField(
            model_name='agreementevent',
            name='party',
            field=models.ForeignKey(blank=True, help_text='The party that acted, for a ratification or a notification.', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='agreements.country'),
        ),
        migrations.AddField(
            model_name='agreementevent',
            name='source',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='agreement_events', to='agreements.source'),
        ),
        migrations.AddField(
            model_name='agreementtext',
            name='agreement',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='texts', to='agreements.agreement'),
        ),
        migrations.AddField(
            model_name='signatory',
            name='agreement',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='signatories', to='agreements.agreement'),
        ),
        migrations.AddField(
            model_name='signatory',
            name='country',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='agreements.country'),
        ),
        migrations.AddField(
            model_name='signatory',
            name='leader',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='signatures', to='agreements.leader'),
        ),
        migrations.AddConstraint(
            model_name='agreementcitation',
            constraint=models.UniqueConstraint(fields=('agreement', 'source'), name='agreement_cites_source_once'),
        ),
        migrations.AddIndex(
            model_name='agreement',
            index=models.Index(fields=['date', 'id'], name='agreement_date_idx'),
        ),
        migrations.AddIndex(
            model_name='agreement',
            index=models.Index(fields=['kind', 'date'], name='agreement_kind_date_idx'),
        ),
        migrations.AddIndex(
            model_name='agreement',
            index=models.Index(fields=['status', 'date'], name='agreement_status_date_idx'),
        ),
        migrations.AddConstraint(
            model_name='agreement',
            constraint=models.CheckConstraint(condition=models.Q(('kind__in', ['treaty', 'agreement', 'memorandum', 'joint-statement', 'action-plan', 'fact-sheet', 'exchange-of-notes', 'other'])), name='agreement_kind_known'),
        ),
        migrations.AddConstraint(
            model_name='agreement',
            constraint=models.CheckConstraint(condition=models.Q(('status__in', ['signed', 'in-force', 'terminated', 'superseded'])), name='agreement_status_known'),
        ),
        migrations.AddConstraint(
            model_name='agreement',
            constraint=models.CheckConstraint(condition=models.Q(('original_title', ''), models.Q(('original_language', ''), _negated=True), _connector='OR'), name='agreement_original_title_has_language', violation_error_message="Give the original title's language."),
        ),
        migrations.AddConstraint(
            model_name='agreementevent',
            constraint=models.CheckConstraint(condition=models.Q(('kind__in', ['signature', 'adoption', 'ratification', 'notification', 'entry-into-force', 'amendment', 'termination', 'supersession'])), name='agreement_event_kind_known'),
        ),
        migrations.AddConstraint(
            model_name='agreementtext',
            constraint=models.CheckConstraint(condition=models.Q(('kind__in', ['published', 'authentic', 'official-translation', 'provisional-translation', 'unofficial-translation'])), name='agreement_text_kind_known'),
        ),
        migrations.AddConstraint(
            model_name='agreementtext',
            constraint=models.UniqueConstraint(fields=('agreement', 'url'), name='agreement_text_url_once'),
        ),
        migrations.AddConstraint(
            model_name='signatory',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('leader__isnull', False), ('name', '')), models.Q(('leader__isnull', True), models.Q(('name', ''), _negated=True)), _connector='OR'), name='signatory_is_a_leader_or_named', violation_error_message='Choose a leader of the record or type a name, not both.'),
        ),
        migrations.RunPython(restore_sqlite_triggers, keep_sqlite_triggers),
    ]

"""Meetings on the same day are listed newest recorded first (`-id`), as pair and party rows read
backwards give them, so a list reads its page of keys from those rows' index."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('agreements', '0013_stored_search_documents'),
    ]

    operations = [
        migrations.AlterModelOptions(
            name='meeting',
            options={'ordering': ['-date', '-id']},
        ),
        migrations.RemoveIndex(
            model_name='meeting',
            name='meeting_date_idx',
        ),
        migrations.AddIndex(
            model_name='meeting',
            index=models.Index(fields=['date', 'id'], name='meeting_date_idx'),
        ),
    ]

{{ config(severity='warn') }}

{# Warns on export labels no mapping seed knows: their rows are kept as
   channel 'other', status or author role 'unknown'. The log names each
   label, its count and the seed to extend. #}

{%- set unmapped_query %}
    select 'channel' as label_kind, channel_label as label, 'seeds/channel_labels.csv' as seed, count(*) as row_count
    from {{ ref('stg_helpdesk__tickets') }}
    where channel = 'other'
    group by channel_label
    union all
    select 'status' as label_kind, status_label as label, 'seeds/status_labels.csv' as seed, count(*) as row_count
    from {{ ref('stg_helpdesk__tickets') }}
    where status = 'unknown'
    group by status_label
    union all
    select 'author role' as label_kind, author_role_label as label, 'seeds/role_labels.csv' as seed, count(*) as row_count
    from {{ ref('stg_helpdesk__ticket_messages') }}
    where author_role = 'unknown'
    group by author_role_label
{%- endset %}

{%- if execute and flags.WHICH in ('test', 'build') %}
    {%- for row in run_query(unmapped_query ~ ' order by label_kind, label').rows %}
        {%- do log(
            "Unmapped " ~ row['label_kind'] ~ " label '" ~ row['label'] ~ "': "
            ~ row['row_count'] ~ " rows kept as "
            ~ ("'other'" if row['label_kind'] == 'channel' else "'unknown'")
            ~ "; add it to " ~ row['seed'], info=true) %}
    {%- endfor %}
{%- endif %}

{{ unmapped_query }}

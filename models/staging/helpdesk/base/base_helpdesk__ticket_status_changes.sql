{#- One row per status-change row read (optional export), typed and
    labelled, with the reasons it cannot be modelled (null when it can). -#}

{{ config(**appended_incrementally()) }}

{%- set checks = [
    ('typed.ticket_id is null', 'missing_ticket_id', "'ticket_id is missing'"),
    ('typed.changed_at_text is null', 'missing_changed_at', "'changed_at is missing'"),
    ('typed.changed_at_text is not null and typed.changed_at is null',
        'unparseable_changed_at', "'changed_at is not a timestamp: ' || " ~ shown_value('typed.changed_at_text')),
] %}

with

source as (
    select * from {{ source('helpdesk', 'ticket_status_changes') }}
),

cleaned as (
    select
        _source_file as source_file,
        _source_row_number as source_row_number,
        _raw_record as raw_record,
        {{ clean_text('ticket_id') }} as ticket_id,
        {{ clean_text('status') }} as status_label,
        {{ clean_text('changed_at') }} as changed_at_text
    from source
),

typed as (
    select
        *,
        {{ normalize_label('status_label') }} as status_key,
        {{ parse_timestamp('changed_at_text') }} as changed_at
    from cleaned
),

status_labels as (
    select * from {{ ref('status_labels') }}
),

labelled as (
    select
        typed.*,
        coalesce(status_labels.status, 'unknown') as status,
        {{ rejection_reasons(checks) }} as rejection_reasons,
        {{ rejection_details(checks) }} as rejection_details
    from typed
    left join status_labels
        on typed.status_key = status_labels.label
),

{# The texts as read, their normalised keys and the parse results before
   defaults stay in the CTEs above: raw_record keeps the row as read. #}
final as (
    select
        labelled.source_file,
        labelled.source_row_number,
        labelled.ticket_id,
        labelled.status_label,
        labelled.changed_at,
        labelled.status,
        labelled.rejection_reasons,
        labelled.rejection_details,
        {{ load_batch() }} as load_batch,
        labelled.raw_record
    from labelled
)

select * from final

{#- One row per deduplicated survey response, with the reason it cannot be
    related to its ticket (unknown_ticket: it names a ticket that no export
    contains). Responses without a ticket are fine: NPS is asked per
    customer. Null reasons: the response is modelled. -#}

{%- set checks = [
    ('responses.ticket_id is not null and tickets.ticket_id is null', 'unknown_ticket',
        "'ticket ' || " ~ shown_value('responses.ticket_id') ~ " || ' is in no tickets export, or only in rejected rows'"),
] %}

with

responses as (
    select * from {{ ref('stg_helpdesk__surveys') }}
),

tickets as (
    select ticket_id from {{ ref('stg_helpdesk__tickets') }}
),

checked as (
    select
        responses.response_id,
        responses.ticket_id,
        responses.customer_id,
        responses.survey_type,
        responses.source_file,
        responses.source_row_number,
        responses.score,
        responses.responded_at,
        {{ rejection_reasons(checks) }} as rejection_reasons,
        {{ rejection_details(checks) }} as rejection_details
    from responses
    left join tickets
        on responses.ticket_id = tickets.ticket_id
)

select * from checked

{# Every ticket of the deduplicated staging created by the as-of instant is
   in fct_tickets, and nothing else is. #}

with

staged as (
    select staged_tickets.ticket_id
    from {{ ref('stg_helpdesk__tickets') }} as staged_tickets
    cross join {{ ref('int_build_as_of') }} as as_of
    where staged_tickets.created_at <= as_of.as_of_at
),

facts as (
    select ticket_id from {{ ref('fct_tickets') }}
)

select
    coalesce(staged.ticket_id, facts.ticket_id) as ticket_id,
    staged.ticket_id is null as is_only_in_fct_tickets
from staged
full outer join facts
    on staged.ticket_id = facts.ticket_id
where staged.ticket_id is null or facts.ticket_id is null

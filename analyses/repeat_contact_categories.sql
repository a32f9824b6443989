{# Which categories drive repeat contacts? Per category (a missing one is
   '(none)'), the tickets, the repeat contacts among them, the repeat
   contact rate and each category's share of all repeat contacts, most
   repeat contacts first. #}

with

tickets as (
    select
        coalesce(category, '(none)') as category,
        is_repeat_contact
    from {{ ref('fct_tickets') }}
),

per_category as (
    select
        category,
        count(*) as tickets,
        sum(case when is_repeat_contact then 1 else 0 end) as repeat_contacts
    from tickets
    group by category
)

select
    category,
    tickets,
    repeat_contacts,
    round(100.0 * repeat_contacts / tickets, 1) as repeat_contact_pct,
    round(100.0 * repeat_contacts / nullif(sum(repeat_contacts) over (), 0), 1)
        as share_of_repeat_contacts_pct
from per_category
order by repeat_contacts desc, category asc

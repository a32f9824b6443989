{#- One row per customer whose first support contact (their earliest ticket,
    ties by ticket id) has a complete follow-up window: the window's last
    day, contact date + var('repurchase_window_days'), is on or before the
    as-of date. The contact's experience is classified good or bad on three
    dimensions (null when it is neither), and the customer's purchases are
    read around it: by the contact day (that day included) and in the
    window after it (the day after the contact through the window's last
    day). Customers whose first contact is too recent are left out, so
    every customer counted had the whole window to come back. -#}

{{ config(**incremental_by('customer_id', per_customer=true)) }}

-- depends_on: {{ ref('int_customers_changed') }}

{%- set window_days = var('repurchase_window_days') | int %}

with

as_of as (
    select as_of_date from {{ ref('int_build_as_of') }}
),

tickets as (
    select
        modelled_tickets.ticket_id,
        modelled_tickets.customer_id,
        modelled_tickets.csat_score,
        modelled_tickets.is_solved,
        modelled_tickets.is_abandoned,
        modelled_tickets.is_first_response_breached,
        modelled_tickets.created_at,
        {{ to_reporting_date('modelled_tickets.created_at') }} as contact_date,
        row_number() over (
            partition by modelled_tickets.customer_id
            order by modelled_tickets.created_at, modelled_tickets.ticket_id
        ) as contact_number
    from {{ ref('fct_tickets') }} as modelled_tickets
    where
        modelled_tickets.customer_id is not null
        and {{ in_changed_customers('modelled_tickets.customer_id') }}
),

purchases as (
    select
        customer_purchases.customer_id,
        customer_purchases.order_date
    from {{ ref('int_customer_purchases') }} as customer_purchases
    where {{ in_changed_customers('customer_purchases.customer_id') }}
),

first_contacts as (
    select
        tickets.ticket_id,
        tickets.customer_id,
        tickets.csat_score,
        tickets.is_solved,
        tickets.is_abandoned,
        tickets.is_first_response_breached,
        tickets.contact_date,
        {{ add_days(window_days, 'tickets.contact_date') }} as window_end_date,
        tickets.created_at
    from tickets
    cross join as_of
    where
        tickets.contact_number = 1
        and {{ add_days(window_days, 'tickets.contact_date') }} <= as_of.as_of_date
),

purchases_around_contact as (
    select
        first_contacts.customer_id,
        max(
            case when purchases.order_date <= first_contacts.contact_date then 1 else 0 end
        ) as has_purchased_before,
        max(
            case
                when
                    purchases.order_date > first_contacts.contact_date
                    and purchases.order_date <= first_contacts.window_end_date
                    then 1
                else 0
            end
        ) as has_repurchased
    from first_contacts
    inner join purchases
        on first_contacts.customer_id = purchases.customer_id
    group by first_contacts.customer_id
),

final as (
    select
        first_contacts.customer_id,
        first_contacts.ticket_id,
        case
            when first_contacts.is_first_response_breached then 'bad'
            when not first_contacts.is_first_response_breached then 'good'
        end as first_response_experience,
        case
            when first_contacts.is_solved then 'good'
            when first_contacts.is_abandoned then 'bad'
        end as outcome_experience,
        case
            when first_contacts.csat_score >= 4 then 'good'
            when first_contacts.csat_score <= 3 then 'bad'
        end as csat_experience,
        coalesce(purchases_around_contact.has_purchased_before = 1, false)
            as has_purchased_before,
        coalesce(purchases_around_contact.has_repurchased = 1, false) as has_repurchased,
        first_contacts.contact_date,
        first_contacts.window_end_date,
        first_contacts.created_at as contacted_at
    from first_contacts
    left join purchases_around_contact
        on first_contacts.customer_id = purchases_around_contact.customer_id
)

select * from final

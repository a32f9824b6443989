{#- One row per ticket: its own first response graded against the
    service-level bounds of its channel group (seeds/service_level_thresholds.csv
    by seeds/channels.csv), the best tier whose bound holds, else
    'unacceptable' (rank 1). "Under" bounds are strict, "within" bounds
    inclusive, as for the period tiers; the CSAT bound does not apply to a
    single response. Unanswered tickets and channels without a graded group
    get no tier. -#}

{{ config(**incremental_by('ticket_id', per_ticket=true)) }}

-- depends_on: {{ ref('int_tickets_changed') }}

with

tickets as (
    select
        modelled_tickets.ticket_id,
        modelled_tickets.customer_id,
        modelled_tickets.channel,
        modelled_tickets.first_response_minutes,
        modelled_tickets.created_at
    from {{ ref('fct_tickets') }} as modelled_tickets
    where {{ in_changed_tickets('modelled_tickets.ticket_id') }}
),

channels as (
    select * from {{ ref('channels') }}
),

thresholds as (
    select * from {{ ref('service_level_thresholds') }}
),

graded_groups as (
    select distinct channel_group from thresholds
),

{# The best tier met is the highest rank among the bounds that hold, one
   aggregate per ticket; its name is joined back by group and rank, which
   the seed's unique_combination_of_columns test keeps unique. #}
best_ranks as (
    select
        tickets.ticket_id,
        channels.channel_group,
        max(thresholds.service_level_rank) as service_level_rank
    from tickets
    inner join channels
        on tickets.channel = channels.channel
    inner join thresholds
        on channels.channel_group = thresholds.channel_group
    where
        tickets.first_response_minutes < thresholds.max_median_first_response_minutes
        or (
            thresholds.is_bound_inclusive
            and tickets.first_response_minutes = thresholds.max_median_first_response_minutes
        )
    group by tickets.ticket_id, channels.channel_group
),

best_tiers as (
    select
        best_ranks.ticket_id,
        best_ranks.service_level_rank,
        thresholds.service_level
    from best_ranks
    inner join thresholds
        on
            best_ranks.channel_group = thresholds.channel_group
            and best_ranks.service_level_rank = thresholds.service_level_rank
),

final as (
    select
        tickets.ticket_id,
        tickets.customer_id,
        tickets.channel,
        graded_groups.channel_group,
        case
            when
                graded_groups.channel_group is not null
                and tickets.first_response_minutes is not null
                then coalesce(best_tiers.service_level, 'unacceptable')
        end as first_response_tier,
        tickets.first_response_minutes,
        case
            when
                graded_groups.channel_group is not null
                and tickets.first_response_minutes is not null
                then coalesce(best_tiers.service_level_rank, 1)
        end as first_response_tier_rank,
        tickets.created_at
    from tickets
    left join channels
        on tickets.channel = channels.channel
    left join graded_groups
        on channels.channel_group = graded_groups.channel_group
    left join best_tiers
        on tickets.ticket_id = best_tiers.ticket_id
)

select * from final

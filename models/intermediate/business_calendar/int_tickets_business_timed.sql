{#- One row per ticket: its business calendar (the channel group's opening
    hours, or the 'default' group's when its group has none), first response
    and resolution in business minutes, and its SLA targets from
    seeds/sla_targets.csv with the instant each runs out and whether it was
    breached. The most specific target row wins (channel and priority, then
    channel, then priority, then neither). A target is breached when its
    event (the first human reply, or for a ticket solved without one its
    solve; the final solve for resolution) came after the breach instant,
    or when the breach instant has passed at as_of without the event; it
    is undecided (null) while the clock is still running. -#}

{{ config(**incremental_by('ticket_id', per_ticket=true)) }}

-- depends_on: {{ ref('int_tickets_changed') }}


{%- set metrics = ['first_response', 'resolution'] %}

with

tickets as (
    select measured_tickets.*
    from {{ ref('int_tickets_measured') }} as measured_tickets
    where {{ in_changed_tickets('measured_tickets.ticket_id') }}
),

as_of as (
    select * from {{ ref('int_build_as_of') }}
),

channels as (
    select * from {{ ref('channels') }}
),

scheduled_groups as (
    select distinct channel_group from {{ ref('business_hours') }}
),

targets as (
    select * from {{ ref('sla_targets') }}
),

clock_days as (
    select * from {{ ref('int_business_clock_days') }}
),

clock_buckets as (
    select * from {{ ref('int_business_clock_buckets') }}
),

scheduled_tickets as (
    select
        tickets.ticket_id,
        tickets.channel,
        lower(trim(tickets.priority)) as priority,
        coalesce(scheduled_groups.channel_group, 'default') as business_calendar,
        tickets.created_at,
        tickets.first_responded_at,
        tickets.solved_at,
        coalesce(
            tickets.first_responded_at,
            case when tickets.is_self_served then tickets.solved_at end
        ) as first_response_event_at,
        tickets.solved_at as resolution_event_at
    from tickets
    left join channels
        on tickets.channel = channels.channel
    left join scheduled_groups
        on channels.channel_group = scheduled_groups.channel_group
),

{# Targets are matched once per channel and priority, not per ticket. #}
ticket_kinds as (
    select distinct
        channel,
        priority
    from scheduled_tickets
),

matched_targets as (
    select
        ticket_kinds.channel,
        ticket_kinds.priority,
        targets.metric,
        targets.target_minutes,
        lower(trim(targets.clock)) as clock,
        row_number() over (
            partition by ticket_kinds.channel, ticket_kinds.priority, targets.metric
            order by
                case when targets.channel = '*' then 1 else 0 end,
                case when targets.priority = '*' then 1 else 0 end
        ) as match_rank
    from ticket_kinds
    inner join targets
        on
            targets.channel in (ticket_kinds.channel, '*')
            and (
                targets.priority = '*'
                or lower(trim(targets.priority)) = ticket_kinds.priority
            )
),

kind_targets as (
    select
        channel,
        priority,
        {%- for metric in metrics %}
            max(case when metric = '{{ metric }}' then target_minutes end)
                as {{ metric }}_target_minutes,
            max(case when metric = '{{ metric }}' then clock end) as {{ metric }}_sla_clock
            {%- if not loop.last %},{% endif %}
        {%- endfor %}
    from matched_targets
    where match_rank = 1
    group by channel, priority
),

ticket_targets as (
    select
        scheduled_tickets.ticket_id,
        {%- for metric in metrics %}
            kind_targets.{{ metric }}_target_minutes,
            kind_targets.{{ metric }}_sla_clock
            {%- if not loop.last %},{% endif %}
        {%- endfor %}
    from scheduled_tickets
    inner join kind_targets
        on
            scheduled_tickets.channel = kind_targets.channel
            and scheduled_tickets.priority is not distinct from kind_targets.priority
),

{# Business seconds on the cumulative clock at creation, first response and
   final solve. #}
clocked as (
    select
        scheduled_tickets.*,
        {%- for metric in metrics %}
            ticket_targets.{{ metric }}_target_minutes,
            ticket_targets.{{ metric }}_sla_clock,
        {%- endfor %}
        {{ business_seconds_at('scheduled_tickets.created_at', 'created_clock') }}
            as created_business_seconds,
        {{ business_seconds_at('scheduled_tickets.first_responded_at', 'responded_clock') }}
            as responded_business_seconds,
        {{ business_seconds_at('scheduled_tickets.solved_at', 'solved_clock') }}
            as solved_business_seconds
    from scheduled_tickets
    left join ticket_targets
        on scheduled_tickets.ticket_id = ticket_targets.ticket_id
    left join clock_days as created_clock
        on {{ business_clock_holds(
            'scheduled_tickets.created_at', 'scheduled_tickets.business_calendar', 'created_clock'
        ) }}
    left join clock_days as responded_clock
        on {{ business_clock_holds(
            'scheduled_tickets.first_responded_at',
            'scheduled_tickets.business_calendar',
            'responded_clock'
        ) }}
    left join clock_days as solved_clock
        on {{ business_clock_holds(
            'scheduled_tickets.solved_at', 'scheduled_tickets.business_calendar', 'solved_clock'
        ) }}
),

{# Where the cumulative clock reaches each business target: the stretch
   holding that position, found through its day-sized bucket. #}
due as (
    select
        clocked.*,
        {%- for metric in metrics %}
            case
                when clocked.{{ metric }}_sla_clock = 'calendar'
                    then {{ dbt.dateadd(
                    'second', 'clocked.' ~ metric ~ '_target_minutes * 60', 'clocked.created_at'
                ) }}
                when clocked.{{ metric }}_sla_clock = 'business'
                    then {{ dbt.dateadd(
                    'second',
                    'clocked.created_business_seconds + clocked.' ~ metric
                    ~ '_target_minutes * 60 - ' ~ metric ~ '_due_clock.seconds_before',
                    metric ~ '_due_clock.opened_at'
                ) }}
            end as {{ metric }}_breach_at
            {%- if not loop.last %},{% endif %}
        {%- endfor %}
    from clocked
    {%- for metric in metrics %}
        left join clock_buckets as {{ metric }}_due_clock
            on
                clocked.business_calendar = {{ metric }}_due_clock.channel_group
                and {{ metric }}_due_clock.clock_bucket = {{ business_bucket(
                'clocked.created_business_seconds + clocked.' ~ metric ~ '_target_minutes * 60'
            ) }}
                and clocked.created_business_seconds + clocked.{{ metric }}_target_minutes * 60
                > {{ metric }}_due_clock.seconds_before
                and clocked.created_business_seconds + clocked.{{ metric }}_target_minutes * 60
                <= {{ metric }}_due_clock.seconds_before + {{ metric }}_due_clock.open_seconds
    {%- endfor %}
),

final as (
    select
        due.ticket_id,
        due.business_calendar,
        {%- for metric in metrics %}
            due.{{ metric }}_sla_clock,
        {%- endfor %}
        cast(
            due.responded_business_seconds - due.created_business_seconds as {{ type_double() }}
        ) / 60 as first_response_business_minutes,
        cast(due.solved_business_seconds - due.created_business_seconds as {{ type_double() }}) / 60
            as resolution_business_minutes,
        {%- for metric in metrics %}
            due.{{ metric }}_target_minutes,
        {%- endfor %}
        {%- for metric in metrics %}
            case
                when due.{{ metric }}_breach_at is null then null
                when due.{{ metric }}_event_at is not null
                    then due.{{ metric }}_event_at > due.{{ metric }}_breach_at
                when as_of.as_of_at > due.{{ metric }}_breach_at then true
            end as is_{{ metric }}_breached,
        {%- endfor %}
        {%- for metric in metrics %}
            due.{{ metric }}_breach_at{% if not loop.last %},{% endif %}
        {%- endfor %}
    from due
    cross join as_of
)

select * from final

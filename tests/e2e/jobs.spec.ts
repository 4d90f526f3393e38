import { test, expect } from '@playwright/test'
import WebSocket from 'ws'
import { makeHome, startServer } from './studioServer'

/** Start a job through the public API, as any client of `twinlight serve` could. */
async function apiCall(url: string, token: string, method: string, args: unknown): Promise<{ ok: boolean; result?: { id: string } }> {
  const ws = new WebSocket(`${url.replace('http', 'ws')}/api?token=${token}`)
  await new Promise((resolve) => ws.once('open', resolve))
  const response = await new Promise<{ ok: boolean; result?: { id: string } }>((resolve) => {
    ws.on('message', (data) => {
      const message = JSON.parse(data.toString())
      if (message.id === 1) resolve(message)
    })
    ws.send(JSON.stringify({ id: 1, method, args }))
  })
  ws.close()
  return response
}

test('the Jobs panel shows progress and ETA, cancels, shows logs, and resumes after a restart', async ({ page }) => {
  const dirs = await makeHome()
  let server = await startServer(dirs)
  await page.goto(server.launchUrl)
  await page.getByTestId('create-name').fill('Jobs')
  await page.getByTestId('create-submit').click()
  await expect(page.getByTestId('status-project')).toHaveText('Jobs')

  const started = await apiCall(server.url, server.token, 'jobs.start', { kind: 'test.sleep', params: { steps: 400, stepMs: 50 } })
  expect(started.ok).toBe(true)
  const jobId = started.result!.id
  await page.getByTestId('nav-jobs').click()
  const card = page.getByTestId(`job-${jobId}`)
  await expect(card).toHaveAttribute('data-state', 'running')
  await expect(card.getByTestId('job-message')).toContainText(/step \d+\/400/)
  await expect(card.getByTestId('job-eta')).toContainText(/left/)
  await expect(page.getByTestId('status-jobs')).toContainText('1 job')

  await card.getByTestId('job-cancel').click()
  await expect(card).toHaveAttribute('data-state', 'cancelled')
  await card.getByTestId('job-log-toggle').click()
  await expect(card.getByTestId('job-log')).toContainText('running 400 steps')

  // A job running when the server dies shows as interrupted after a restart, and resumes.
  const second = await apiCall(server.url, server.token, 'jobs.start', { kind: 'test.sleep', params: { steps: 60, stepMs: 50 } })
  const secondCard = page.getByTestId(`job-${second.result!.id}`)
  await expect(secondCard.getByTestId('job-message')).toContainText(/step [1-9]\d*\/60/)
  await server.stop('SIGKILL')
  server = await startServer({ ...dirs, project: `${dirs.projects}/jobs` })
  await page.goto(server.launchUrl)
  await page.getByTestId('nav-jobs').click()
  await expect(secondCard).toHaveAttribute('data-state', 'interrupted')
  await secondCard.getByTestId('job-resume').click()
  await expect(secondCard).toHaveAttribute('data-state', 'succeeded', { timeout: 30_000 })
  await secondCard.getByTestId('job-log-toggle').click()
  await expect(secondCard.getByTestId('job-log')).toContainText(/resuming at step [1-9]/)
  await server.stop()
})
